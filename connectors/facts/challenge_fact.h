// The closed-challenge fact on crp.facts (schemas/outbound/fact.schema.json):
// what a safeguarding partnership reports on (Calderdale: a bi-annual report
// of themes and patterns; Rotherham: the number of Stage 4 challenges in its
// performance framework). Codes, dates and counts only: no names, no free text.
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
  std::string challenge_id;
  std::string case_id;
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

// Parses and validates a fact value against the schema; on failure returns
// nullopt and sets `error` (a JSON pointer and reason, never the value).
std::optional<ChallengeFact> from_json(std::string_view text, std::string& error);

}  // namespace crp::connectors::facts
