// What the engine decides; the runtime turns each effect into a record
// (connectors/ map them to the sinks' formats). Pure data, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "adapter/calendar/time.h"

namespace crp {

// A lifecycle event for crp.escalations (schemas/outbound/escalation.schema.json).
struct LifecycleEvent {
  std::string type;  // challenge.stage_started, challenge.response_overdue, ...
  std::string stage;
  std::string stage_label;
  std::string from_stage;
  std::string reason;   // no_response | response_rejected | manual | immediate_risk | raised ...
  std::string outcome;  // resolved | withdrawn | exhausted
  std::string duty;
  std::string duty_label;
  std::optional<Instant> due_at;
  Instant occurred_at{};  // when its cause happened: the input, or the deadline that passed
  // Watch findings (watch.*) and a challenge raised from one.
  std::string rule{};
  std::string finding_id{};
  std::string conference_id{};
  std::optional<Instant> actual_at{};  // the last activity before the breach, if any
  std::vector<std::string> missing{};  // watch.pre_conference_check: rules not yet met
  std::string linked_challenge_id{};   // watch.suggestion_taken_up: the challenge raised
  // challenge.deadline_changed: which deadline (response, duty, decision,
  // process_limit, step_down_check) and when it was due before the calendar changed.
  std::string deadline{};
  std::optional<Instant> previous_due_at{};
  // challenge.protocol_migrated: the protocol version it left and the one it runs under now.
  int previous_protocol_version = 0;
  int protocol_version = 0;
};

// Who must hear of it by email; the email connector resolves roles to addresses.
struct NotificationDecision {
  std::string template_key;  // stage_started, response_overdue, duty_overdue, ...
  std::string reason;        // a sentence for the recipient, without personal data
  std::string stage;
  std::string stage_label;
  std::vector<std::string> to;  // roles
  std::vector<std::string> cc;  // roles
  std::optional<Instant> due_at;
};

// What must be recorded on the child's file ("query, action, outcome").
struct CaseNoteDecision {
  bool opens_stage = false;  // the note that starts the stage (a case system's new step)
  std::string stage;
  std::string stage_label;
  std::string query;
  std::string action;
  std::string outcome;
};

// A partner agency route to tell (webhooks resolve routes to partners).
struct PartnerDecision {
  std::string route;
  std::string event_type;
  std::string stage;
  std::string stage_label;
  std::optional<Instant> due_at;
};

// For the people who run the service, not the people in the protocol: a
// challenge restored into a configuration that has no place for it
// (challenge.quarantined, docs/decisions/0061), on the operations topic.
struct OperationsNotice {
  std::string type;    // challenge.quarantined
  std::string reason;  // names protocol, version and stage ids only
  int protocol_version = 0;
  std::string stage;
};

// The input could not be processed; the runtime dead-letters the original bytes.
struct DlqDecision {
  std::string error_class;
  std::string message;  // never echoes personal data from the input
};

struct Effect {
  std::string challenge_id;  // empty for a watched plan's effects
  std::string plan_id;       // a watched plan's (adapter/engine/watch)
  std::string case_id;
  std::string protocol;
  int protocol_version = 0;  // the challenge's; 0 for a watched plan's (the newest)
  std::string track;
  std::string agency;
  std::string source_system;
  std::uint64_t seq = 0;  // per challenge; with challenge_id a stable output id
  Instant at{};           // the (virtual) time it was decided
  std::variant<LifecycleEvent, NotificationDecision, CaseNoteDecision, PartnerDecision, DlqDecision,
               OperationsNotice>
      what;

  // A plan's ids are prefixed, so they never meet a challenge's of the same text.
  std::string id() const {
    return (challenge_id.empty() ? "watch:" + plan_id : challenge_id) + ":" + std::to_string(seq);
  }
  // The output records' key: what the outputs are about.
  const std::string& subject() const { return challenge_id.empty() ? plan_id : challenge_id; }
};

using Effects = std::vector<Effect>;

}  // namespace crp
