// The board report's figures from closed-challenge facts: counts by protocol,
// stage reached, agency, theme and outcome; time to resolution; deadlines met
// and missed; the Stage 4 count (Rotherham's performance framework). Pure.
#pragma once

#include <string>
#include <vector>

#include "connectors/facts/challenge_fact.h"

namespace crp::report {

using connectors::facts::ChallengeFact;

struct Count {
  std::string key;    // the code in the facts, e.g. "stage4"
  std::string label;  // what people read, e.g. "Stage 4"
  int value = 0;
};

struct DeadlineTotals {
  connectors::facts::DeadlineCount response, duty, process;
  int met() const { return response.met + duty.met + process.met; }
  int missed() const { return response.missed + duty.missed + process.missed; }
};

struct Period {
  std::string from;  // inclusive local dates, "YYYY-MM-DD"
  std::string to;
  bool contains(const std::string& date) const { return from <= date && date <= to; }
};

struct ReportData {
  Period period;
  int total = 0;
  int immediate_risk = 0;
  std::vector<Count> by_protocol;         // by protocol id
  std::vector<Count> by_stage_reached;    // by highest stage, in route order
  std::vector<Count> by_agency;           // most first
  std::vector<Count> by_category;         // themes, most first; a challenge counts once per theme
  std::vector<Count> by_outcome;          // resolved, withdrawn, exhausted
  std::vector<Count> resolution_bands;    // working days to resolution, in bands
  std::vector<Count> stage4_by_protocol;  // challenges that reached Stage 4
  int stage4_total = 0;
  double median_working_days = 0;
  double median_calendar_days = 0;
  int max_working_days = 0;
  DeadlineTotals deadlines;
  int unreadable = 0;  // records that were not facts (set by the caller; shown, never hidden)
};

// The median of `values` (the mean of the middle two for an even count); 0 when empty.
double median(std::vector<int> values);

// "Stage 4", "Level 1", "Informal", ... for a stage id.
std::string stage_label(const std::string& stage_id);

// The facts whose closing date lies in `period`, aggregated.
ReportData aggregate(const std::vector<ChallengeFact>& facts, const Period& period);

// The facts of `period` only, in closing order (ties by challenge id).
std::vector<ChallengeFact> in_period(const std::vector<ChallengeFact>& facts, const Period& period);

}  // namespace crp::report
