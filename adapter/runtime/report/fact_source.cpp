#include "adapter/runtime/report/fact_source.h"

#include <rapidjson/document.h>

#include "adapter/json/json.h"

namespace crp::report {

void add_fact_value(FactSet& set, std::string_view value, const std::string& where) {
  connectors::facts::FactError error;
  auto fact = connectors::facts::read_fact(value, error);
  if (!fact) {
    set.problems.push_back(where + ": " + error.message);
    ++set.problems_by_kind[error.kind];
    return;
  }
  if (auto* closed = std::get_if<ChallengeFact>(&*fact)) {
    auto [at, added] = set.index.emplace(closed->challenge_id, set.facts.size());
    if (added) {
      set.facts.push_back(std::move(*closed));
    } else {
      set.facts[at->second] = std::move(*closed);
    }
    return;
  }
  auto& stage = std::get<StageFact>(*fact);
  // The deadlines met at closing are facts of the one closing event: they share
  // its fact_id and differ by deadline, stage and duty.
  const std::string key = stage.fact_id + '\n' + connectors::facts::to_string(stage.kind) + '\n' +
                          stage.deadline + '\n' + stage.stage + '\n' + stage.duty;
  auto [at, added] = set.stage_index.emplace(key, set.stage_facts.size());
  if (added) {
    set.stage_facts.push_back(std::move(stage));
  } else {
    set.stage_facts[at->second] = std::move(stage);
  }
}

FactSet read_facts_jsonl(std::istream& in, const std::string& facts_topic) {
  FactSet set;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = "line " + std::to_string(number);
    rapidjson::Document d;
    std::string error;
    if (!json::parse(line, d, error) || !d.IsObject()) {
      set.problems.push_back(where + ": " + (error.empty() ? "not a JSON object" : error));
      ++set.problems_by_kind["not_json"];
      continue;
    }
    auto topic = d.FindMember("topic");
    if (topic == d.MemberEnd()) {
      add_fact_value(set, line, where);
      continue;
    }
    if (!topic->value.IsString() || topic->value.GetString() != facts_topic)
      continue;  // another topic's record
    auto value = d.FindMember("value");
    if (value == d.MemberEnd()) {
      set.problems.push_back(where + ": a " + facts_topic + " record without a value");
      ++set.problems_by_kind["no_value"];
    } else if (value->value.IsString()) {
      add_fact_value(
          set, std::string_view(value->value.GetString(), value->value.GetStringLength()), where);
    } else {
      add_fact_value(set, json::to_string(value->value), where);
    }
  }
  return set;
}

}  // namespace crp::report
