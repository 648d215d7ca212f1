// A canonical inbound event (schemas/inbound/canonical.schema.json), the only
// input the engine understands. Connectors map case-system payloads onto it.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapter/calendar/time.h"

namespace crp {

enum class EventType {
  raised,
  response_received,
  response_approved,
  response_accepted,
  response_rejected,
  escalated,
  meeting_scheduled,
  meeting_held,
  resolved,
  withdrawn,
  duty_completed,
  dissent_raised,
  step_down_agreed,
  step_down_checked,
  good_practice_noted,
  // Case activity: what the watch rules look at (adapter/engine/watch).
  conference_scheduled,
  conference_held,
  conference_cancelled,
  report_shared,
  consultation_form_completed,
  interpreter_booked,
  core_group_held,
  child_seen,
  plan_ended,
  suggestion_dismissed,
};

// True for the case-activity family, which names a plan_id, not a challenge.
bool is_activity(EventType t);

const char* to_string(EventType t);

struct InboundEvent {
  EventType type = EventType::raised;
  std::string event_id;
  Instant occurred_at{};
  std::string challenge_id;
  std::string case_id;
  std::string protocol;
  std::string route;  // empty: the protocol's main route
  std::string stage;
  std::string to_stage;
  std::string track;
  std::string agency;
  std::vector<std::string> categories;
  bool immediate_risk = false;
  std::optional<std::string> respond_by;  // local date "YYYY-MM-DD"
  std::optional<Instant> meeting_at;
  std::string approved_by;
  std::string duty;
  std::optional<bool> cin_plan_evidenced;
  std::optional<std::string> conference_date;  // local date "YYYY-MM-DD" (step-down check)
  bool exemplary = false;
  std::map<std::string, std::string> contact_emails;  // role -> email (names are dropped)
  std::string team;      // the child's allocated team: picks role mailboxes in the directory
  std::string locality;  // the team's locality, when the event says so
  std::string source_system = "canonical";

  // Case activity (and challenge.raised's finding_id).
  std::string plan_id;
  std::string finding_id;
  std::string conference_id;
  std::string conference_kind;  // "initial" | "review"
  std::optional<Instant> conference_at;
  bool interpreter_needed = false;
  std::string plan_outcome;  // cp_plan | no_plan | step_down_cin | plan_ended
};

// Why an event could not become an InboundEvent; goes to the DLQ.
struct EventError {
  std::string error_class;  // e.g. "crp.SchemaViolation"
  std::string message;      // never contains values from the event
};

// A digest of what the event says (not how it arrived), so a reused event id
// with other content is told apart from a redelivery. Stable across releases:
// challenges and plans keep it in their state records.
std::uint64_t event_fingerprint(const InboundEvent& e);

// Validates against the canonical schema and converts. On failure returns
// nullopt and fills `error`.
std::optional<InboundEvent> parse_canonical(const rapidjson::Value& doc, EventError& error);

}  // namespace crp
