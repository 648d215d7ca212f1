// Case activity from LCS (issue 19): the child's conference, core group,
// visit and plan forms and case notes, as the drift watchdog's canonical
// activity events (docs/connectors.md "LCS case activity").
//
//   conference forms ("Initial/Review Child Protection Conference"):
//     form.recorded with a conference date, or its "Conference Arrangements"
//     section: conference.scheduled (date, interpreter flag); "Conference
//     Outcome": conference.held with the decision; "Conference Cancelled":
//     conference.cancelled
//   "Social Work Report to Conference", section "Report Shared": report.shared
//   "Child Protection Consultation Form", "Interpreter Request" recorded:
//     consultation_form.completed, interpreter.booked
//   "Core Group Meeting" form or case note: core_group.held
//   "Child Protection Visit" / "Statutory Visit" form or case note where the
//     child was seen: child.seen
//   "End of Child Protection Plan": plan.ended
//   "Drift Watch Suggestion Response" dismissing a finding: watch.suggestion_dismissed
//
// Which labels mean what is the input's `activity_forms`, `activity_notes`,
// `activity_sections` and `conference_outcomes` (defaults above). The plan is
// the record's plan id ("lcs-<plan_id>", LCS's CP plan or episode), else the
// child's case id; a conference is its workflow step ("lcs-<step_id>"), where
// its report, consultation form and interpreter request are recorded too.
// Names and case-note text are never read.
#pragma once

#include <optional>
#include <string>

#include "adapter/engine/protocol_set.h"
#include "connectors/activity/activity_event.h"
#include "connectors/activity/activity_labels.h"
#include "connectors/activity/activity_mapper.h"
#include "connectors/source.h"

namespace crp::connectors::lcs {

class LcsActivity : activity::ActivityMapper {
 public:
  LcsActivity(const ProtocolSet& protocols, const rapidjson::Value& options,
              const std::string& config_file, const std::string& pointer);

  // What a validated LCS record whose label is not a stage's says as case
  // activity; nullopt when its label is no activity either (the caller drops it).
  std::optional<activity::Mapped> map(const rapidjson::Document& doc, Instant at) const;

 private:
  activity::Mapped form_event(const rapidjson::Document& doc, const std::string& kind,
                              activity::ActivityEvent e) const;
  activity::Mapped conference(const rapidjson::Document& doc, const std::string& kind,
                              activity::ActivityEvent e) const;

  activity::LabelTable forms_, notes_, sections_, outcomes_;
};

}  // namespace crp::connectors::lcs
