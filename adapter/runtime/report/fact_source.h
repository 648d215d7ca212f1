// Where the report's facts come from: a JSONL file (replay output, whose
// facts-topic lines are taken, or bare fact values) or the facts topic itself.
#pragma once

#include <istream>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "connectors/facts/fact_reader.h"

namespace crp::report {

using connectors::facts::ChallengeFact;
using connectors::facts::StageFact;

struct FactSet {
  // One closed fact per challenge id (a repeated id keeps the last, as compaction would).
  std::vector<ChallengeFact> facts;
  // Stage facts, one per fact (a record read twice counts once): a fact is its
  // fact_id, kind, deadline, stage and duty, as the deadlines met at closing
  // share the closing event's fact_id.
  std::vector<StageFact> stage_facts;
  std::vector<std::string> problems;  // "<where>: <reason>" for every record that could not be read
  std::map<std::string, int> problems_by_kind;               // not_json, schema, totals, ...
  std::unordered_map<std::string, std::size_t> index;        // challenge id -> position in facts
  std::unordered_map<std::string, std::size_t> stage_index;  // fact key -> position in stage_facts
};

// Adds one record value read at `where` (e.g. "line 7", "crp.facts[2]@15").
// A value that is not a fact is named in `problems` and skipped, never fatal.
void add_fact_value(FactSet& set, std::string_view value, const std::string& where);

// Reads JSONL: a line {"topic", "value", ...} counts when its topic is
// `facts_topic`; any other line must be a fact value itself.
FactSet read_facts_jsonl(std::istream& in, const std::string& facts_topic);

}  // namespace crp::report
