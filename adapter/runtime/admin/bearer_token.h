// The shared secret that guards /v1: read once from a file, compared in
// constant time so a timing probe learns nothing about its bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adapter/core/secret.h"

namespace crp::admin {

class BearerToken {
 public:
  BearerToken() = default;  // none configured: every request is refused
  explicit BearerToken(std::string token) : token_(std::move(token)) {}
  explicit BearerToken(Secret token) : token_(std::move(token)) {}

  // The file's content without surrounding whitespace, read by read_secret
  // and wiped when this token is destroyed (docs/decisions/0043). Throws
  // json::ConfigError naming `config_file`, `/admin/token_file` and the
  // reason when the file cannot be read or holds no token.
  static BearerToken from_file(const std::string& token_file, const std::string& config_file);

  bool configured() const { return !token_.empty(); }
  // True only for "Bearer <token>" with exactly this token.
  bool accepts(std::string_view authorization_header) const;

 private:
  Secret token_;
};

}  // namespace crp::admin
