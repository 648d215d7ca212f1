// The durable state of one challenge. Everything the engine needs to resume
// after a restart is here, timers included: a timer is just a deadline field
// (response, duty, process limit, step-down check) that has not yet fired.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapter/calendar/time.h"

namespace crp {

enum class Phase : std::uint8_t {
  awaiting_response,  // the stage's recipients must respond by due_at
  awaiting_approval,  // a response arrived but needs a manager's approval (Walsall)
  under_review,       // the response arrived; the chair is reviewing it
  meeting_scheduled,  // the meeting date is confirmed (Bradford Stages 2-3)
  meeting_held,       // the meeting took place; the chair decides
  step_down_watch,    // Rotherham: watching a step-down to CiN until its check
  closed,
};

const char* to_string(Phase p);
std::optional<Phase> phase_from_string(const std::string& s);

struct DutyState {
  std::string stage;
  std::string id;
  Instant due{};
  bool done = false;
  bool overdue = false;
  bool superseded = false;  // its stage was left or the challenge closed first
  // When duty.due_soon is sent (one working day before `due` by default);
  // cleared once sent or when the duty no longer waits on anyone.
  std::optional<Instant> remind_at{};
};

struct HistoryEntry {
  Instant at{};
  std::string event;  // e.g. "challenge.stage_started"
  std::string stage;
};

struct Challenge {
  std::string id;
  std::string case_id;
  std::string protocol;
  // The version of `protocol` it runs under: the newest when it was raised,
  // a later one only by a migration (docs/decisions/0061). State written
  // before versions existed is version 1.
  int protocol_version = 1;
  std::string track;
  std::string agency;
  std::vector<std::string> categories;
  bool immediate_risk = false;
  std::string source_system = "canonical";
  std::map<std::string, std::string> contact_emails;  // role -> email
  std::string team;  // directory lookups (connectors/email/role_directory.h)
  std::string locality;

  std::string route;  // empty: the protocol's main route
  std::string stage;  // empty while only watching a step-down
  Phase phase = Phase::awaiting_response;
  Instant stage_started_at{};
  std::optional<Instant> due_at;  // response deadline of the current stage
  // When challenge.response_due_soon is sent; cleared once sent, and when the
  // response arrives, the stage is left or the challenge closes.
  std::optional<Instant> response_remind_at;
  bool response_overdue = false;
  std::optional<Instant> meeting_at;
  std::vector<DutyState> duties;
  std::optional<Instant> process_due_at;
  bool process_overdue = false;
  std::optional<Instant> check_due_at;  // step-down to CiN check
  // The decider must act by then once a response or meeting is in (or, at a
  // stage with no response deadline, from its start): nothing stalls silently.
  std::optional<Instant> decide_due_at;
  bool decision_overdue = false;
  std::string outcome;  // set when closed

  Instant opened_at{};
  Instant last_event_at{};
  std::uint64_t seq = 0;  // outputs emitted so far; gives stable output ids
  // Each applied event as "<event_id>#<fingerprint of its content>" (older
  // state holds the bare id): a reused id with other content is refused.
  std::vector<std::string> seen_event_ids;
  std::vector<HistoryEntry> history;

  bool closed() const { return phase == Phase::closed; }
  // The earliest pending deadline, if any: the challenge's one timer.
  std::optional<Instant> next_deadline() const;
};

}  // namespace crp
