// Challenge state <-> the changelog record value. The changelog is the durable
// copy of the state, timers included, and the service reads all of it back on
// every restart, so the value is a compact binary record (version 2) rather
// than JSON: see docs/decisions/0033-binary-changelog-state.md. Version 1
// (JSON, written before) is still read, so a rolling upgrade restores from a
// changelog either version wrote. A challenge with a reminder pending is
// written as version 4 (version 3 plus the reminder instants, decision 0056);
// every other one as version 3.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adapter/engine/challenge.h"

namespace crp {

// Version 2 and later: the binary record.
std::string encode_challenge(const Challenge& c);
// Either version; nullopt (with `error`) when the bytes are not a state
// record the service can read.
std::optional<Challenge> decode_challenge(std::string_view bytes, std::string& error);

// Version 1 (JSON): read for changelogs written before version 2; written
// only by tests and benchmarks (the service writes version 2).
std::optional<Challenge> decode_challenge_json_v1(std::string_view bytes, std::string& error);
std::string encode_challenge_json_v1(const Challenge& c);

}  // namespace crp
