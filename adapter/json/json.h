// Small helpers over RapidJSON: parsing with a located error, and the
// "file, JSON pointer, reason" error that every config loader reports.
#pragma once

#include <rapidjson/document.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace crp::json {

// A config or data file that cannot be used. what() reads
// "<file>: <pointer>: <reason>" so an operator can go straight to the fault.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, std::string pointer, std::string reason);
  const std::string& file() const { return file_; }
  const std::string& pointer() const { return pointer_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string file_, pointer_, reason_;
};

// Parses `text`; on a syntax error returns false and sets `error` to
// "line L column C: <RapidJSON message>".
bool parse(std::string_view text, rapidjson::Document& doc, std::string& error);

// Reads a whole file; throws ConfigError(file, "", reason) when it cannot.
std::string read_file(const std::string& path);

// Parses a file, throwing ConfigError with the line and column on bad JSON.
rapidjson::Document parse_file(const std::string& path);

// Text of a value, compact, keys in document order.
std::string to_string(const rapidjson::Value& v);

// JSON pointer text for array index / member name segments.
std::string pointer_append(const std::string& base, std::string_view token);
std::string pointer_append(const std::string& base, std::size_t index);

}  // namespace crp::json
