// What-if replay's figures (`crp-adapter whatif`): one history replayed under
// two configurations, compared per protocol and stage. Pure: it reads the
// facts each replay produced (connectors/facts, decision 0046), never the
// engine's event list, so new lifecycle events (reminders, ...) change nothing here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapter/runtime/report/fact_source.h"

namespace crp::whatif {

// One stage of one protocol under one configuration.
struct StageTally {
  std::int64_t started = 0;      // stage.started facts: challenges that reached it
  std::int64_t escalations = 0;  // challenges that moved on from it to another stage
  std::int64_t overdue = 0;      // deadline.missed facts in it (response, duty, decision, limit)
  // Working days to resolution of the challenges that closed at this stage
  // (their highest stage), one value per closed challenge.
  std::vector<int> working_days;
};

using StageKey = std::pair<std::string, std::string>;  // protocol id, stage id

struct Tally {
  std::map<StageKey, StageTally> stages;
};

// Counts a replay's facts. Stage facts are taken in the order given (replay
// output order, which is each challenge's own order): a stage.started that does
// not open its challenge is an escalation from the stage the challenge was in.
Tally tally(const report::FactSet& facts);

// The median of `values`, or nothing when there are none (not 0: a stage where
// nothing closed has no median to compare).
std::optional<double> median_of(const std::vector<int>& values);

// The figures of one row under one configuration.
struct Side {
  std::int64_t escalations = 0;
  std::int64_t overdue = 0;
  std::int64_t closed = 0;
  std::optional<double> median_working_days;
};

struct Row {
  std::string protocol;
  std::string stage;  // a stage id; empty on a protocol's total row
  Side baseline;
  Side variant;
  bool total() const { return stage.empty(); }
  bool differs() const;
};

// The stages of each protocol in the order its file lists them; stages found
// only in the facts follow in name order.
using StageOrder = std::map<std::string, std::vector<std::string>>;

// Rows, per protocol (in id order): one per stage any challenge reached under
// either configuration, then the protocol's total over all its stages.
std::vector<Row> compare(const Tally& baseline, const Tally& variant, const StageOrder& order);

}  // namespace crp::whatif
