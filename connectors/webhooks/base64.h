// Standard base64 (RFC 4648 section 4, with padding): the alphabet of
// Standard Webhooks secrets ("whsec_<base64>") and signatures.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace crp::webhooks {

std::string base64_encode(std::string_view bytes);

// Strict: padded to a multiple of 4, no whitespace; nullopt otherwise.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace crp::webhooks
