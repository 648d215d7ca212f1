// Sink connector: a challenge that has just closed -> its fact for crp.facts.
#pragma once

#include <optional>

#include "adapter/engine/challenge.h"
#include "adapter/engine/protocol_set.h"
#include "connectors/facts/challenge_fact.h"

namespace crp::connectors::facts {

// The fact of a closed challenge, from its state and history. nullopt when it
// never reached a stage (a Rotherham step-down watch that ended well is not a
// challenge the board counts).
std::optional<ChallengeFact> fact_of(const Challenge& closed, const ProtocolRuntime& runtime);

}  // namespace crp::connectors::facts
