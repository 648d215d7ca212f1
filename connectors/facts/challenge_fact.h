// The closed-challenge fact on crp.facts (schemas/outbound/fact.schema.json,
// fact_version 2): what a safeguarding partnership reports on once a challenge
// has ended. Codes, dates and counts only: no case_id, no names, no free text.
// Version 1 facts (with case_id) are still read; their case_id is dropped.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/calendar/time.h"

namespace crp::connectors::facts {

struct DeadlineCount {
  int met = 0;
  int missed = 0;
};

struct ChallengeFact {
  int version = 2;      // 1: written before the stage facts (no fact_id)
  std::string fact_id;  // "<challenge_id>:<seq>" of its challenge.closed effect; "" in version 1
  std::string challenge_id;
  std::string protocol;
  std::string track;
  std::string agency;
  std::vector<std::string> categories;  // the themes
  bool immediate_risk = false;
  std::string source_system;
  Instant opened_at{};
  Instant closed_at{};
  std::string opened_on;  // local dates (the protocol's time zone), "YYYY-MM-DD"
  std::string closed_on;
  std::string outcome;  // resolved | withdrawn | exhausted
  std::string starting_stage;
  std::string highest_stage;
  std::string highest_stage_label;
  std::vector<std::string> stages_visited;  // in the order visited
  int escalations = 0;
  DeadlineCount response;
  DeadlineCount duty;
  DeadlineCount process;
  int working_days = 0;   // working days after the opening date up to the closing date
  int calendar_days = 0;  // closing date minus opening date

  int deadlines_met() const { return response.met + duty.met + process.met; }
  int deadlines_missed() const { return response.missed + duty.missed + process.missed; }
  bool visited(std::string_view stage) const;
};

// The record value (compact JSON, fields in a fixed order).
std::string to_json(const ChallengeFact& fact);

// Parses a closed fact (version 1 or 2); on failure returns nullopt and sets
// `error` (a JSON pointer and reason, never the value). Any other kind of fact
// is refused here: connectors/facts/fact_reader.h reads every kind.
std::optional<ChallengeFact> from_json(std::string_view text, std::string& error);

}  // namespace crp::connectors::facts
