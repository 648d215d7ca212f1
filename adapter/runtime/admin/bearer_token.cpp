#include "adapter/runtime/admin/bearer_token.h"

#include <openssl/crypto.h>

#include <cctype>

#include "adapter/json/json.h"

namespace crp::admin {

BearerToken BearerToken::from_file(const std::string& token_file, const std::string& config_file) {
  Secret token = read_secret(SecretSource::file(token_file), config_file, "/admin/token_file");
  if (token.size() < 16 || token.view().find_first_of(" \t\r\n") != std::string_view::npos) {
    // Never echo the token itself, not even a bad one.
    throw json::ConfigError(config_file, "/admin/token_file",
                            "the admin token in " + token_file +
                                " must be one line of at least 16 characters without spaces");
  }
  BearerToken out;
  out.token_ = std::move(token);
  return out;
}

bool BearerToken::accepts(std::string_view header) const {
  constexpr std::string_view scheme = "Bearer ";
  if (token_.empty() || header.size() != scheme.size() + token_.size()) return false;
  // The scheme is case-insensitive (RFC 7235); the token is not.
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(scheme[i])))
      return false;
  }
  // The length is no secret (it is compared above); the bytes are.
  return CRYPTO_memcmp(header.data() + scheme.size(), token_.view().data(), token_.size()) == 0;
}

}  // namespace crp::admin
