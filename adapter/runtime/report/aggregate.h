// The board report's figures from the facts on crp.facts: what closed in the
// period (counts by protocol, stage reached, agency, theme, outcome; time to
// resolution; deadlines met and missed), what was open and overdue at its end,
// the trend by month, missed deadlines by agency and protocol, each protocol's
// monitored counts as its file declares them, and good-practice notes. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "adapter/engine/protocol_report.h"
#include "connectors/facts/challenge_fact.h"
#include "connectors/facts/stage_fact.h"

namespace crp::report {

using connectors::facts::ChallengeFact;
using connectors::facts::StageFact;
using connectors::facts::StageFactKind;

struct Count {
  std::string key;    // the code in the facts, e.g. "stage4"
  std::string label;  // what people read, e.g. "Stage 4"
  std::int64_t value = 0;
};

// Sums over many facts are 64-bit: each fact's counts are bounded by the
// schema, their totals are not.
struct MetMissed {
  std::int64_t met = 0;
  std::int64_t missed = 0;
};
struct DeadlineTotals {
  MetMissed response, duty, process;
  std::int64_t met() const { return response.met + duty.met + process.met; }
  std::int64_t missed() const { return response.missed + duty.missed + process.missed; }
};

struct Period {
  std::string from;  // inclusive local dates, "YYYY-MM-DD"
  std::string to;
  bool contains(const std::string& date) const { return from <= date && date <= to; }
};

// A protocol as the report names it: its title and its file's `report` section.
struct ProtocolInfo {
  std::string id;
  std::string title;
  ProtocolReport report;
  std::map<std::string, std::string> watch_rule_labels;  // its file's watch.rules: id -> label
};

struct Month {
  std::string month;  // "YYYY-MM"
  std::int64_t raised = 0;
  std::int64_t closed = 0;
  std::int64_t deadlines_missed = 0;
  std::int64_t open_at_end = 0;  // open at the end of the month (or of the period)
};

struct MonitoredFigure {
  std::string protocol;
  std::string protocol_title;
  std::string id;
  std::string label;
  std::string quote;
  MonitoredCountKind kind = MonitoredCountKind::stage_started;
  std::int64_t value = 0;
  std::int64_t open_at_end = 0;  // stage_started: of those, still open at the period end
};

struct GoodPracticeRow {
  std::string team;
  std::string month;
  std::int64_t notes = 0;
  std::int64_t exemplary = 0;
};

// The drift watchdog's findings in the period (watch.finding facts,
// docs/decisions/0053): how many were found, by rule, team and month, and how
// many answers were given in the period (a finding answered may be older).
struct WatchMonth {
  std::string month;  // "YYYY-MM"
  std::int64_t found = 0;
  std::int64_t dismissed = 0;
  std::int64_t taken_up = 0;
};
struct WatchFindings {
  std::int64_t found = 0;
  std::int64_t dismissed = 0;
  std::int64_t taken_up = 0;       // raised as a challenge naming the finding
  std::vector<Count> by_rule;      // found, labelled as the protocol's watch.rules name them
  std::vector<Count> by_team;      // found, by the plan's team's directory key
  std::vector<WatchMonth> months;  // months with any watch fact, in order
  bool any() const { return found + dismissed + taken_up > 0; }
};

WatchFindings watch_findings(const std::vector<StageFact>& stage_facts, const Period& period,
                             const std::vector<ProtocolInfo>& protocols);

struct ReportData {
  Period period;
  std::string authority;   // from the service config's report.authority
  std::string data_as_at;  // the latest instant of any fact read, ISO 8601; "" with no facts
  // Closed in the period.
  std::int64_t total = 0;
  std::int64_t immediate_risk = 0;
  std::vector<Count> by_protocol;       // by protocol id
  std::vector<Count> by_stage_reached;  // by highest stage, in route order
  std::vector<Count> by_agency;         // most first
  std::vector<Count> by_category;       // themes, most first; a challenge counts once per theme
  std::vector<Count> by_outcome;        // resolved, withdrawn, exhausted
  std::vector<Count> resolution_bands;  // working days to resolution, in bands
  double median_working_days = 0;
  double median_calendar_days = 0;
  int max_working_days = 0;
  DeadlineTotals deadlines;
  // As at the period's last day, from the stage facts.
  std::int64_t open_at_end = 0;
  std::int64_t overdue_at_end = 0;
  std::vector<Count> open_by_protocol;
  std::vector<Count> overdue_by_protocol;
  std::vector<Month> months;
  std::vector<Count> missed_by_agency;    // deadline.missed facts in the period
  std::vector<Count> missed_by_protocol;  // (responses, duties, decisions, overall limits)
  std::vector<MonitoredFigure> monitored;
  std::vector<std::string> frequencies;  // "Calderdale ...: half_yearly — <quote>"
  std::vector<GoodPracticeRow> good_practice;
  WatchFindings watch;
  int unreadable = 0;  // records that were not facts (set by the caller; shown, never hidden)
};

// The median of `values` (the mean of the middle two for an even count); 0 when empty.
double median(std::vector<int> values);

// "Stage 4", "Level 1", "Informal", ... for a stage id.
std::string stage_label(const std::string& stage_id);

// Challenges open at the end of `date` (started by then, not closed by then),
// and of those the ones with a missed deadline not yet met: a missed response or
// decision stays overdue until the challenge moves to another stage or closes, a
// missed duty or overall limit until it closes.
struct OpenCounts {
  std::vector<std::string> open;     // challenge ids
  std::vector<std::string> overdue;  // a subset of open
};
OpenCounts open_as_at(const std::vector<StageFact>& stage_facts,
                      const std::vector<ChallengeFact>& closed, const std::string& date);

// The figures of the challenges closed in `period` alone (version 1 facts suffice).
ReportData aggregate_closed(const std::vector<ChallengeFact>& closed, const Period& period);

// Every figure of the report for `period`.
ReportData aggregate(const std::vector<ChallengeFact>& closed,
                     const std::vector<StageFact>& stage_facts, const Period& period,
                     const std::vector<ProtocolInfo>& protocols = {});

// The closed facts of `period` only, in closing order (ties by challenge id).
std::vector<ChallengeFact> in_period(const std::vector<ChallengeFact>& facts, const Period& period);

}  // namespace crp::report
