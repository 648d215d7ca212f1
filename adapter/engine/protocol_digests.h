// What a protocol version said when open challenges were counted under it. A
// revision is meant to be a new `version`; a file edited in place changes the
// rules under challenges already open without a word. The changelog keeps each
// loaded version's digest (Engine::kProtocolsKey), so `run` and
// `check-config --changelog` can say which versions changed in place
// (docs/decisions/0061).
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "adapter/engine/protocol_set.h"

namespace crp {

// {"<id>@<version>": "<digest>", ...} in id and version order, as one line of JSON.
std::string protocol_digests(const ProtocolSet& protocols);

// The loaded versions ("<id>@<version>") whose digest differs from the one
// `recorded` (a protocol_digests() text) holds; versions it lacks are new, not changed.
std::set<std::string> changed_in_place(std::string_view recorded, const ProtocolSet& protocols);

}  // namespace crp
