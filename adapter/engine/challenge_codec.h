// Challenge state <-> the changelog record value (JSON, versioned). The
// changelog is the durable copy of the state, timers included.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adapter/engine/challenge.h"

namespace crp {

std::string encode_challenge(const Challenge& c);
// nullopt (with `error`) when the bytes are not a state record of this version.
std::optional<Challenge> decode_challenge(std::string_view bytes, std::string& error);

}  // namespace crp
