// Sink connector: case-note decisions -> the write-back record for the child's
// file (topic crp.casenotes), in the format of the system that holds the file:
//   lcs     an LCS case note (note type = stage label; query, action, outcome,
//           as the IRO protocol asks), linked to the challenge's workflow process;
//   mosaic  a Mosaic step update (the step to create or complete and the next
//           action chosen) with a "Resolution Case Note" form (query, action, outcome);
//   generic the same three fields without a case-system envelope.
// Every record carries `external_reference` (stable per decision): the case
// system stores it, and the LCS and Mosaic source connectors drop the echo of
// a note the adapter wrote itself. See docs/connectors.md.
#pragma once

#include <string>

#include "adapter/engine/challenge.h"
#include "adapter/engine/effect.h"
#include "adapter/engine/protocol.h"

namespace crp::connectors::casenotes {

// `challenge` is the challenge's state after the decision (null if unknown):
// it tells a note on the stage just left (complete its step, next action the
// new stage) from one on the stage just started (create its step).
std::string map(const Effect& effect, const CaseNoteDecision& note, const Protocol& protocol,
                const Challenge* challenge);

}  // namespace crp::connectors::casenotes
