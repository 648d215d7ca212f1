// Sink connector: case-note decisions -> the write-back record for the child's
// file, shaped for the source system (LCS case note; Mosaic step note; generic).
#pragma once

#include <string>

#include "adapter/engine/effect.h"
#include "adapter/engine/protocol.h"

namespace crp::connectors::casenotes {

std::string map(const Effect& effect, const CaseNoteDecision& note, const Protocol& protocol);

}  // namespace crp::connectors::casenotes
