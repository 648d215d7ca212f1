// Secrets (Kafka credentials, partner signing keys, the admin token, API
// keys): read from a file by default, or from an environment variable when a
// deployment cannot mount files; held in a buffer that is wiped with
// OPENSSL_cleanse when it is no longer needed (docs/decisions/0043).
#pragma once

#include <rapidjson/document.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace crp {

// Owns the bytes of one secret and wipes them when destroyed, moved from or
// wipe()d. Not copyable: a copy is a second place to forget.
class Secret {
 public:
  Secret() = default;
  // Takes the bytes of `value` and wipes `value` (a moved-from short string
  // would otherwise keep its bytes).
  explicit Secret(std::string&& value) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  ~Secret() { wipe(); }

  const std::string& str() const { return value_; }
  std::string_view view() const { return value_; }
  bool empty() const { return value_.empty(); }
  std::size_t size() const { return value_.size(); }
  // Overwrites the bytes and leaves the secret empty.
  void wipe() noexcept;

 private:
  std::string value_;
};

// Overwrites a string's bytes (OPENSSL_cleanse) and empties it: for a copy of
// a secret the caller had to make (e.g. a decoded key) and no longer needs.
void wipe(std::string& s) noexcept;

// Where a config file says a secret is: {"file": "<path>"} (relative to the
// config file's folder) or {"env": "<NAME>"}.
struct SecretSource {
  enum class Kind { file, env };
  Kind kind = Kind::file;
  std::string name;  // resolved path or variable name

  // Reads a {"file"} / {"env"} object; `base` is the referring file's folder.
  static SecretSource from_json(const rapidjson::Value& ref, const std::filesystem::path& base);
  static SecretSource file(std::string path) { return {Kind::file, std::move(path)}; }
  static SecretSource env(std::string name) { return {Kind::env, std::move(name)}; }

  // "secret file <path>" or "environment variable <NAME>", for messages.
  std::string describe() const;
};

// The secret's text with surrounding whitespace (a file's trailing newline)
// removed. Throws json::ConfigError(config_file, at, reason) when the file
// cannot be read, is larger than 64 KiB, or the variable is unset, or the
// value is empty; the reason names the file or variable, never the value.
// A file is read with read(2) into a buffer of its exact size, so no stream
// buffer or reallocation leaves a copy behind.
Secret read_secret(const SecretSource& source, const std::string& config_file,
                   const std::string& at);

}  // namespace crp
