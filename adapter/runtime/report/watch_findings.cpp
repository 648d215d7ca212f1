// The board report's "Watch findings": the drift watchdog's findings in the
// period by rule, team and month, and the answers given (decision 0053: a
// finding is a suggestion, so the board sees how often people agreed with it).
#include <map>

#include "adapter/runtime/report/aggregate.h"

namespace crp::report {

WatchFindings watch_findings(const std::vector<StageFact>& stage_facts, const Period& period,
                             const std::vector<ProtocolInfo>& protocols) {
  WatchFindings w;
  std::map<std::string, std::int64_t> rules, teams;
  std::map<std::string, WatchMonth> months;
  for (const StageFact& f : stage_facts) {
    if (f.kind != StageFactKind::watch_finding || !period.contains(f.occurred_on)) continue;
    const std::string month = f.occurred_on.substr(0, 7);
    WatchMonth& m = months[month];
    m.month = month;
    if (f.status == "found") {
      ++w.found, ++m.found;
      ++rules[f.rule];
      ++teams[f.team];
    } else if (f.status == "dismissed") {
      ++w.dismissed, ++m.dismissed;
    } else if (f.status == "taken_up") {
      ++w.taken_up, ++m.taken_up;
    }
  }
  // A rule's label as the first protocol (by id) that declares it names it;
  // the protocols share their rule ids for the same drift.
  for (const auto& [rule, n] : rules) {
    std::string label = rule;
    for (const ProtocolInfo& p : protocols) {
      if (auto it = p.watch_rule_labels.find(rule); it != p.watch_rule_labels.end()) {
        label = it->second;
        break;
      }
    }
    w.by_rule.push_back({rule, label, n});
  }
  for (const auto& [team, n] : teams)
    w.by_team.push_back({team, team.empty() ? "(no team recorded)" : team, n});
  for (auto& [key, m] : months) w.months.push_back(m);
  return w;
}

}  // namespace crp::report
