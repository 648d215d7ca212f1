// The facts of every stage on crp.facts (fact_version 2): a stage started, a
// deadline met or missed, a good-practice note. With the closed facts they let
// the board report show what is open and overdue at any date, not only what
// has closed. Codes, dates and counts only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "adapter/calendar/time.h"

namespace crp::connectors::facts {

enum class StageFactKind {
  stage_started,
  deadline_met,
  deadline_missed,
  good_practice_noted,
  // A drift watchdog finding or the answer to it (connectors/facts/watch_fact.h):
  // about a plan, not a challenge, so it carries no challenge id or agency.
  watch_finding,
};

const char* to_string(StageFactKind kind);  // "stage.started", ...

struct StageFact {
  StageFactKind kind = StageFactKind::stage_started;
  std::string fact_id;  // "<challenge_id>:<seq>" of the lifecycle effect it comes from
  std::string challenge_id;
  std::string protocol;
  std::string track;
  std::string agency;                   // a code
  std::vector<std::string> categories;  // codes; stage.started only
  bool immediate_risk = false;          // stage.started only
  std::string stage;
  std::string stage_label;
  std::string reason;            // stage.started: raised, no_response, manual, ...
  bool opens_challenge = false;  // stage.started: the challenge's first stage
  std::string deadline;          // deadline.*: response | duty | decision | process
  std::string duty;              // deadline.* of a duty: its id
  std::optional<Instant> due_at;
  std::string team;  // good_practice.noted, watch.finding: the team's directory key
  bool exemplary = false;
  std::string rule;    // watch.finding: the watch rule's id
  std::string status;  // watch.finding: found | dismissed | taken_up
  Instant occurred_at{};
  std::string occurred_on;  // local date in the protocol's time zone
};

// The record value (compact JSON, fields in a fixed order).
std::string to_json(const StageFact& fact);

}  // namespace crp::connectors::facts
