// Sink connector: engine lifecycle events -> facts for crp.facts.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "adapter/engine/challenge.h"
#include "adapter/engine/effect.h"
#include "adapter/engine/protocol_set.h"
#include "connectors/facts/challenge_fact.h"

namespace crp::connectors::facts {

// The fact of a closed challenge, from its state and history. nullopt when it
// never reached a stage (a Rotherham step-down watch that ended well is not a
// challenge the board counts).
// Agencies are given as the service's agency code of the recorded text
// (`agency_code`); anything that still is not a code becomes "other".
using AgencyCoder = std::function<std::string(std::string_view)>;
std::optional<ChallengeFact> fact_of(const Challenge& closed, const ProtocolRuntime& runtime,
                                     const AgencyCoder& agency_code);

// The fact values (JSON, in order) one lifecycle event gives:
//   challenge.stage_started       -> stage.started
//   challenge.response_overdue    -> deadline.missed (response)
//   duty.overdue                  -> deadline.missed (duty)
//   challenge.decision_overdue    -> deadline.missed (decision)
//   process.overdue               -> deadline.missed (process)
//   challenge.escalated           -> deadline.met (response) of the stage left, when it was kept
//   challenge.closed              -> deadline.met for what was kept, then challenge.closed
//   good_practice.noted           -> good_practice.noted
// Met is decided when the stage ends, by the same rules as the closed fact's
// counts (decisions "Closed-challenge facts" and "Facts of every stage"), so
// the deadline.met facts of a challenge add up to its closed fact's met counts.
// `state` is the challenge after the event (nullptr: no facts).
std::vector<std::string> facts_of(const Effect& effect, const LifecycleEvent& event,
                                  const Challenge* state, const ProtocolRuntime& runtime,
                                  const AgencyCoder& agency_code);

}  // namespace crp::connectors::facts
