// A local authority's challenge protocol, as loaded from config/protocols/*.json
// (schemas/protocol.schema.json). Immutable once loaded; the engine only reads it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapter/calendar/working_calendar.h"
#include "adapter/engine/protocol_report.h"
#include "adapter/engine/watch/watch_rules.h"

namespace crp {

// What counts as the stage's response, i.e. what stops its response timer.
enum class ResponseKind { written_response, meeting_date_confirmed, meeting_held };

// What happens when a stage's response deadline passes.
enum class OnOverdue {
  notify,   // tell the chair it is overdue; the chair decides ("should escalate")
  escalate  // move to the next stage automatically ("will progress")
};

// When a duty's clock starts.
enum class DutyFrom {
  stage_started,  // Rotherham: "complete the Stage 1 Form within three working days"
  meeting_held    // Bradford: "A summary of the meeting will be recorded ... on LCS"
};

struct Duty {
  std::string id;
  std::string label;
  std::string owner;  // role
  Deadline deadline;
  DutyFrom from = DutyFrom::stage_started;
  std::vector<std::string> tracks;  // empty: every track (IRO: CAFCASS is for LAC only)
  // A duty belongs to its stage: escalation or closing supersedes it unless
  // it must still be done afterwards.
  bool survives_stage = false;
};

// What an immediate risk of significant harm changes, for the whole protocol
// (alert) or for one stage (alert, a shorter response deadline, extra duties).
struct ImmediateRiskRule {
  std::vector<std::string> alert;  // roles told at the raise instant
  std::optional<Deadline> response_deadline;
  std::vector<Duty> duties;
  bool empty() const { return alert.empty() && !response_deadline && duties.empty(); }
};

// A protocol's routes share its stages; a route is the stages reachable from
// its start stages. The main route is the protocol's own start_stages.
struct Route {
  std::string id;
  std::string title;
  std::vector<std::string> start_stages;
  std::string chair_role;            // empty: the protocol's chair
  bool record_on_child_file = true;  // false: no case note, no case_id on any output
};

// When a stage's partner route is told: as it starts, only when it starts with
// an immediate risk, or when the challenge closes at it (the outcome).
enum class PartnerWhen { stage_started, immediate_risk, closed };

struct PartnerRoute {
  std::string route;  // e.g. "rscp_business_unit"; mapped to partner endpoints by config
  PartnerWhen when = PartnerWhen::stage_started;
};

struct Stage {
  std::string id;
  std::string label;
  std::map<std::string, std::string> labels_by_track;
  bool formal = true;
  std::vector<std::string> to;
  std::vector<std::string> cc;
  std::string response_by;
  ResponseKind response_kind = ResponseKind::written_response;
  std::optional<Deadline> response_deadline;
  std::optional<Deadline> agreed_deadline_max;  // the event may agree a date up to this
  std::string approval_by;                      // role whose approval completes the response
  OnOverdue on_overdue = OnOverdue::notify;
  std::string next;  // empty: last stage of its route
  bool reachable_by_skipping = true;
  bool skip_requires_immediate_risk =
      false;  // Bradford: "each stage need not be followed in sequence" only then
  std::vector<Duty> duties;
  std::vector<PartnerRoute> partners;
  // Whoever decides after the response or meeting (empty: the route's chair),
  // and how long they have (empty: the protocol's decide_within).
  std::string decided_by;
  std::optional<Deadline> decide_within;
  // An event's respond_by may bring the deadline forward (IRO 2.4: "The
  // timescales set out below are the maximum").
  bool earlier_respond_by = false;
  // Roles told when the stage is entered other than from the stage before it
  // (a direct start or a skip), before anyone else hears of it.
  std::vector<std::string> on_skip_notify;
  // Roles told of the outcome when the challenge closes at this stage, and
  // what the chair must do next (in the notification).
  std::vector<std::string> outcome_to;
  std::string outcome_prompt;
  ImmediateRiskRule immediate_risk;
  // Working days before the stage's response and duty deadlines that those
  // they wait on are reminded (`reminders`); empty: the protocol's setting.
  std::optional<int> remind_working_days_before;

  const std::string& label_for(const std::string& track) const;
};

struct ProcessLimit {
  std::string from_stage;
  Deadline deadline;
  std::vector<std::string> notify;
};

struct StepDownCheck {
  Deadline after;
  std::vector<std::string> notify;
  std::string invoke_stage;
};

// The professional's own agency when it is a partner, not the council
// (Calderdale: "the professional and their immediate supervising manager",
// "the Designated Child Protection lead in the professional's organisation").
struct PartnerAgencyRule {
  // Roles that belong to the professional's agency: addressed from the
  // challenge's contacts and the directory's `agencies.<code>`, never a council
  // mailbox (docs/decisions/0042).
  std::vector<std::string> roles;
  // Told when a challenge involving a partner agency is raised (Walsall: issues
  // with partners "shared with the Head of Service for Safeguarding").
  std::vector<std::string> notify_on_raise;
  bool is_agency_role(const std::string& role) const;
};

struct GoodPracticeNotes {
  std::vector<std::string> to;
  std::vector<std::string> exemplary_cc;
};

// How challenges open under an older version move to this one (`migrations`):
// each stage of `from_version` listed in `stages` moves to the stage named; a
// stage not listed keeps its id if this version has it. A challenge in a stage
// with no place here is quarantined, never guessed (docs/decisions/0061).
struct Migration {
  int from_version = 0;
  std::map<std::string, std::string> stages;  // old stage id -> stage id here
};

struct Protocol {
  std::string id;
  // Revisions of one protocol are versions of one id: a challenge keeps the
  // version it started under; new challenges take the newest loaded.
  int version = 1;
  std::vector<Migration> migrations;
  // FNV-1a of the file's JSON, re-serialised compactly (whitespace does not
  // count): tells a version edited in place (adapter/engine/protocol_digests.h).
  std::uint64_t definition_digest = 0;
  std::string title;
  std::string case_system = "generic";
  std::string time_zone = "Europe/London";
  std::string calendar_division = "england-and-wales";
  LocalTimeOfDay working_day_end;
  std::vector<std::string> tracks;
  std::string chair_role;
  std::map<std::string, std::string> roles;  // key -> title people read
  std::vector<std::string> always_cc;
  std::vector<std::string> start_stages;
  std::vector<std::string> immediate_risk_start_stages;
  std::optional<ProcessLimit> process_limit;
  std::string dissent_stage;
  std::optional<StepDownCheck> step_down_check;
  std::optional<GoodPracticeNotes> good_practice_notes;
  std::vector<Stage> stages;
  std::vector<Route> routes;         // besides the main route
  ImmediateRiskRule immediate_risk;  // alert only, at any stage
  ProtocolReport report;             // what the board report monitors (`report`)
  PartnerAgencyRule partner_agency;
  // How long a decider has after a response or meeting before
  // challenge.decision_overdue (a product default: the documents give none).
  Deadline decide_within{5, DeadlineUnit::working_days};
  // Reminders before response and duty deadlines (`reminders`): one working
  // day before by default, a product default (docs/decisions/0056); 0: none.
  int remind_working_days_before = 1;
  WatchConfig watch;  // drift the document names, checked against case activity

  // nullptr when the protocol has no such stage.
  const Stage* stage(const std::string& id) const;
  int stage_index(const std::string& id) const;  // -1 when absent
  bool has_track(const std::string& track) const;
  // The title people read for a role key (the key itself when undeclared).
  const std::string& role_title(const std::string& role) const;
  bool may_start_at(const std::string& stage, bool immediate_risk) const;
  // nullptr for the main route ("") and for an unknown id.
  const Route* route(const std::string& id) const;
  // True when `to` lies further along the escalation route from `from`.
  bool is_later_on_route(const std::string& from, const std::string& to) const;
  // How many working days before a deadline of stage `s` the reminder goes (0: none).
  int remind_working_days_before_for(const Stage& s) const {
    return s.remind_working_days_before.value_or(remind_working_days_before);
  }
};

}  // namespace crp
