// A protocol's watch rules: the drift its document names as a reason to start
// a resolution ("Report has not been shared in advance", "Core groups have not
// been held in the required frequency", "Any CP Conferences that are
// cancelled"), as data in the protocol file's `watch` section. A breached rule
// is a finding suggested to a person; the service never raises a challenge
// itself (docs/decisions/0053).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapter/calendar/working_calendar.h"

namespace crp {

enum class WatchRuleKind {
  // An activity (report.shared, consultation_form.completed,
  // interpreter.booked) must be recorded for a conference at least `before`
  // it, per conference kind; checked at the end of the last working day allowed.
  before_conference,
  // An activity (core_group.held, child.seen) must recur: first within
  // `first_within` of the plan starting (an initial conference that made a
  // plan), then within `every` of the last one.
  recurring,
  // The activity itself is the finding (conference.cancelled).
  on_activity,
};

struct WatchRule {
  std::string id;
  std::string label;  // what people read: "Report shared before the conference"
  WatchRuleKind kind = WatchRuleKind::on_activity;
  std::string activity;  // the canonical type that satisfies (or, on_activity, breaches) it
  std::map<std::string, Deadline> before;  // conference kind ("initial", "review") -> how long
  std::optional<Deadline> first_within;
  std::optional<Deadline> every;
  // before_conference: only for conferences scheduled with this flag
  // ("interpreter_needed"): "No interpreter has been booked".
  std::string only_if;
  std::string suggest_stage;        // the stage the document gives this example at
  std::vector<std::string> notify;  // roles told of a finding; empty: the watch's notify
  bool case_note = false;           // write the finding to the child's file
};

// N working days before each conference, one summary to the chair of what is
// still missing, so the pre-conference conversation starts from facts.
struct PreConferenceSummary {
  Deadline before{2, DeadlineUnit::working_days};
  std::vector<std::string> to;
  std::vector<std::string> cc;
  // The before_conference rules whose activity the summary lists when missing.
  std::vector<std::string> checks;
  // Lines the chair is reminded of every time (Rotherham: "families are aware
  // of any challenge escalations ... prior to the start of the ... Conference").
  std::vector<std::string> reminders;
};

struct WatchConfig {
  std::vector<WatchRule> rules;
  std::vector<std::string> notify;  // default recipients of a suggestion
  std::optional<PreConferenceSummary> pre_conference_summary;

  bool empty() const { return rules.empty() && !pre_conference_summary; }
  const WatchRule* rule(const std::string& id) const {
    for (const auto& r : rules) {
      if (r.id == id) return &r;
    }
    return nullptr;
  }
};

}  // namespace crp
