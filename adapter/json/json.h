// Small helpers over RapidJSON: parsing with a located error, and the
// "file, JSON pointer, reason" error that every config loader reports.
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
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

// What any JSON text this service reads may be: a record from Kafka is
// untrusted, and a document nested 140,000 deep would overflow the stack of
// anything that walks it recursively (RapidJSON's Writer, Accept, schema
// validation), so it is refused before a DOM exists (docs/decisions/0035).
struct Limits {
  std::size_t max_depth = 64;           // objects and arrays, the root counting as 1
  std::size_t max_bytes = 1024 * 1024;  // the whole text
};

// The built-in limits for a Kafka record value or a replay line.
inline constexpr Limits kRecordLimits{};
// The limits every record read uses unless its caller passes others: the
// service config's `limits` block (load_service_config sets them, before any
// record is read), else kRecordLimits. Process-wide, so that every connector,
// `replay` and the tools read records alike without each being handed them.
Limits record_limits();
void set_record_limits(const Limits& limits);
// The limits for a config or data file: the operator's own, but a role
// directory or a Debezium mapping may be larger than any record.
inline constexpr Limits kFileLimits{64, 64 * 1024 * 1024};

// Parses `text`; returns false and sets `error` when it is not JSON or breaks
// a rule: "line L column C: <reason>", where the reason is RapidJSON's syntax
// message or names the rule broken ("nesting deeper than 64 levels", "value
// larger than N bytes", "invalid UTF-8", "duplicate key", "NUL character in a
// string", "unpaired UTF-16 surrogate"). The reason never quotes the input.
// The parse is iterative (no recursion on the input's nesting); on failure
// `doc` is left as it was.
bool parse(std::string_view text, rapidjson::Document& doc, std::string& error,
           const Limits& limits = record_limits());

// The same checks as parse() without building a document (a SAX pass): for a
// caller that only needs to know the text is acceptable JSON.
bool check(std::string_view text, std::string& error, const Limits& limits = record_limits());

// Reads a whole file; throws ConfigError(file, "", reason) when it cannot.
std::string read_file(const std::string& path);

// Parses a file (kFileLimits), throwing ConfigError with the line and column
// on bad JSON.
rapidjson::Document parse_file(const std::string& path);

// Text of a value, compact, keys in document order.
std::string to_string(const rapidjson::Value& v);

// JSON pointer text for array index / member name segments.
std::string pointer_append(const std::string& base, std::string_view token);
std::string pointer_append(const std::string& base, std::size_t index);

}  // namespace crp::json
