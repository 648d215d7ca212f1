// Standard Webhooks signing (https://www.standardwebhooks.com/):
// webhook-signature = "v1,<base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))>",
// space-separated, one per key during a secret rotation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace crp::webhooks {

// "whsec_<base64>" (or bare base64) -> raw key bytes; nullopt if not base64.
std::optional<std::string> decode_secret(const std::string& whsec);

std::string sign(const std::vector<std::string>& keys, const std::string& webhook_id, std::int64_t timestamp_s,
                 const std::string& body);

}  // namespace crp::webhooks
