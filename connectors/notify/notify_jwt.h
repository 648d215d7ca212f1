// GOV.UK Notify's API-key authentication: a JWT signed with HS256 by the
// key's secret, claims `iss` (the service id) and `iat` (now, in seconds;
// Notify accepts 30 s of clock skew). A fresh token per request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crp::notify {

struct ApiKey {
  std::string service_id;  // a UUID, 36 characters
  std::string secret;      // a UUID, 36 characters: the HMAC key
};

// An API key is "{key_name}-{service_id}-{secret}": the service id and the
// secret are its last two UUIDs (36 characters each). nullopt with `error`
// set when it is not one; the error never quotes the key.
std::optional<ApiKey> parse_api_key(std::string_view key, std::string& error);

// "<base64url(header)>.<base64url(claims)>.<base64url(HMAC-SHA256)>" with
// header {"typ":"JWT","alg":"HS256"} and claims {"iss":..., "iat":...}.
std::string jwt(const ApiKey& key, std::int64_t issued_at_s);

// Base64url without padding (RFC 7515 section 2), from OpenSSL's base64.
std::string base64url(std::string_view bytes);

}  // namespace crp::notify
