#include "connectors/notify/notify_jwt.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <stdexcept>

namespace crp::notify {
namespace {

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::optional<ApiKey> parse_api_key(std::string_view key, std::string& error) {
  // {key_name}-{service_id}-{secret}: 36 + 1 + 36 characters at the end.
  constexpr std::size_t kTail = 36 + 1 + 36;
  if (key.size() < kTail + 2 || key[key.size() - kTail - 1] != '-') {
    error = "the Notify API key is not {key_name}-{service_id}-{secret_key}";
    return std::nullopt;
  }
  const std::string_view service = key.substr(key.size() - kTail, 36);
  const std::string_view secret = key.substr(key.size() - 36);
  if (!is_uuid(service) || key[key.size() - 37] != '-' || !is_uuid(secret)) {
    error = "the Notify API key does not end with two UUIDs (service id and secret key)";
    return std::nullopt;
  }
  return ApiKey{std::string(service), std::string(secret)};
}

std::string base64url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  return out;
}

std::string jwt(const ApiKey& key, std::int64_t issued_at_s) {
  // The service id is a checked UUID: no character needs escaping in JSON.
  const std::string signing_input =
      base64url(R"({"typ":"JWT","alg":"HS256"})") + "." +
      base64url(R"({"iss":")" + key.service_id + R"(","iat":)" + std::to_string(issued_at_s) + "}");
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  if (!HMAC(EVP_sha256(), key.secret.data(), static_cast<int>(key.secret.size()),
            reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
            &mac_size))
    throw std::runtime_error("HMAC-SHA256 failed");
  return signing_input + "." +
         base64url(std::string_view(reinterpret_cast<const char*>(mac), mac_size));
}

}  // namespace crp::notify
