#include "adapter/runtime/whatif/comparison.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "adapter/runtime/report/aggregate.h"

namespace crp::whatif {
namespace {

Side side_of(const StageTally& t) {
  return {t.escalations, t.overdue, static_cast<std::int64_t>(t.working_days.size()),
          median_of(t.working_days)};
}

const StageTally& find_or_empty(const Tally& t, const StageKey& key) {
  static const StageTally kEmpty;
  auto it = t.stages.find(key);
  return it == t.stages.end() ? kEmpty : it->second;
}

}  // namespace

std::optional<double> median_of(const std::vector<int>& values) {
  if (values.empty()) return std::nullopt;
  return report::median(values);
}

bool Row::differs() const {
  return baseline.escalations != variant.escalations || baseline.overdue != variant.overdue ||
         baseline.closed != variant.closed ||
         baseline.median_working_days != variant.median_working_days;
}

Tally tally(const report::FactSet& facts) {
  using report::StageFactKind;
  Tally out;
  std::unordered_map<std::string, std::string> current_stage;  // challenge id -> stage id
  for (const report::StageFact& f : facts.stage_facts) {
    if (f.challenge_id.empty() || f.protocol.empty()) continue;  // watch findings: not a stage
    if (f.kind == StageFactKind::stage_started) {
      ++out.stages[{f.protocol, f.stage}].started;
      auto [at, first] = current_stage.try_emplace(f.challenge_id, f.stage);
      if (!first && !f.opens_challenge && at->second != f.stage) {
        ++out.stages[{f.protocol, at->second}].escalations;
      }
      at->second = f.stage;
    } else if (f.kind == StageFactKind::deadline_missed) {
      ++out.stages[{f.protocol, f.stage}].overdue;
    }
  }
  for (const report::ChallengeFact& c : facts.facts) {
    out.stages[{c.protocol, c.highest_stage}].working_days.push_back(c.working_days);
  }
  return out;
}

std::vector<Row> compare(const Tally& baseline, const Tally& variant, const StageOrder& order) {
  std::map<std::string, std::set<std::string>> seen;  // protocol -> stages with any figure
  for (const Tally* t : {&baseline, &variant}) {
    for (const auto& [key, figures] : t->stages) {
      if (figures.started || figures.escalations || figures.overdue ||
          !figures.working_days.empty())
        seen[key.first].insert(key.second);
    }
  }
  std::vector<Row> rows;
  for (const auto& [protocol, stages] : seen) {
    std::vector<std::string> ordered;
    if (auto it = order.find(protocol); it != order.end()) {
      for (const std::string& s : it->second) {
        if (stages.count(s)) ordered.push_back(s);
      }
    }
    for (const std::string& s : stages) {
      if (std::find(ordered.begin(), ordered.end(), s) == ordered.end()) ordered.push_back(s);
    }
    StageTally all_baseline, all_variant;
    for (const std::string& stage : ordered) {
      const StageTally& b = find_or_empty(baseline, {protocol, stage});
      const StageTally& v = find_or_empty(variant, {protocol, stage});
      rows.push_back({protocol, stage, side_of(b), side_of(v)});
      for (auto [from, into] : {std::pair{&b, &all_baseline}, std::pair{&v, &all_variant}}) {
        into->escalations += from->escalations;
        into->overdue += from->overdue;
        into->working_days.insert(into->working_days.end(), from->working_days.begin(),
                                  from->working_days.end());
      }
    }
    rows.push_back({protocol, "", side_of(all_baseline), side_of(all_variant)});
  }
  return rows;
}

}  // namespace crp::whatif
