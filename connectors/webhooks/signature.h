// Standard Webhooks signing (https://www.standardwebhooks.com/):
// webhook-signature = "v1,<base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))>",
// space-separated, one per key during a secret rotation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crp::webhooks {

// "whsec_<base64>" (or bare base64) -> raw key bytes; nullopt if not base64.
std::optional<std::string> decode_secret(const std::string& whsec);

// Raw HMAC-SHA256 digest (32 bytes) of `message` under `key` (OpenSSL).
std::string hmac_sha256(const std::string& key, std::string_view message);

// The webhook-signature header value: "v1,<sig>" per key, space-separated.
std::string sign(const std::vector<std::string>& keys, const std::string& webhook_id,
                 std::int64_t timestamp_s, const std::string& body);

}  // namespace crp::webhooks
