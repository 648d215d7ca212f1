#include "connectors/webhooks/signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

#include "connectors/webhooks/base64.h"

namespace crp::webhooks {

std::optional<std::string> decode_secret(const std::string& whsec) {
  constexpr std::string_view prefix = "whsec_";
  std::string_view text = whsec;
  if (text.starts_with(prefix)) text.remove_prefix(prefix.size());
  auto key = base64_decode(text);
  if (!key || key->empty()) return std::nullopt;
  return key;
}

std::string hmac_sha256(const std::string& key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
            &length)) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string sign(const std::vector<std::string>& keys, const std::string& webhook_id,
                 std::int64_t timestamp_s, const std::string& body) {
  // The signed content is built once and shared by every key of a rotation.
  std::string content;
  const std::string ts = std::to_string(timestamp_s);
  content.reserve(webhook_id.size() + ts.size() + body.size() + 2);
  content.append(webhook_id).append(1, '.').append(ts).append(1, '.').append(body);
  std::string header;
  for (const std::string& key : keys) {
    if (!header.empty()) header += ' ';
    header += "v1,";
    header += base64_encode(hmac_sha256(key, content));
  }
  return header;
}

}  // namespace crp::webhooks
