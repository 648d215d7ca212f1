// Sink connector: the drift watchdog's lifecycle events -> watch.finding facts
// for crp.facts, so the board report can count findings by rule, team and
// month and how many were dismissed or taken up (docs/decisions/0053).
#pragma once

#include <string>
#include <vector>

#include "adapter/engine/effect.h"
#include "adapter/engine/protocol_set.h"
#include "adapter/engine/watch/watched_plan.h"

namespace crp::connectors::facts {

// The fact_id of a plan effect: a digest of its id, because the effect id
// ("watch:<plan_id>:<seq>") names the plan and a fact must not.
std::string watch_fact_id(const Effect& effect);

// The fact one watch lifecycle event gives (empty for any other event):
//   watch.breach                 -> watch.finding status found
//   watch.suggestion_dismissed   -> watch.finding status dismissed
//   watch.suggestion_taken_up    -> watch.finding status taken_up
// Codes, dates and the team's directory key only: no case, plan, finding or
// challenge id. `plan` is the plan after the event (nullptr: no team).
std::vector<std::string> watch_facts_of(const Effect& effect, const LifecycleEvent& event,
                                        const WatchedPlan* plan, const ProtocolRuntime& runtime);

}  // namespace crp::connectors::facts
