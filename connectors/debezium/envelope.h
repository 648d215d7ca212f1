// Finds the parts of a Debezium change event in a record value without
// parsing it: members are walked and every value not needed is skipped by
// bracket counting. This is what lets rows of unconfigured tables be dropped
// at a fraction of the cost of a parse (bench/connector_bench.cpp).
//
// The walk trusts nothing: it is bounded by the input, never recurses on the
// input's nesting, and reports malformed text rather than guessing. It does
// not validate JSON (a skipped value may be garbage); callers that map a row
// validate the whole value first.
#pragma once

#include <string>
#include <string_view>

namespace crp::connectors::debezium {

// A JSON string token as it appears in the text, quotes excluded.
struct RawString {
  std::string_view raw;
  bool escaped = false;  // contains a backslash escape; decode() before use

  bool empty() const { return raw.empty(); }
  // Exact comparison with plain text (an escaped token is decoded first).
  bool equals(std::string_view text) const;
  std::string decode() const;
};

struct Envelope {
  enum class Kind { change, tombstone, malformed };
  Kind kind = Kind::malformed;
  const char* problem = "";  // for Kind::malformed: what is wrong, never a value
  bool wrapped = false;      // {"schema": …, "payload": …} (JsonConverter schemas.enable=true)
  std::string_view schema;   // the wrapper's schema, raw JSON (empty when not wrapped)
  std::string_view before;   // raw JSON of the row images; empty when absent
  std::string_view after;
  std::string_view source;  // raw JSON of the source block
  RawString op, db, schema_name, table;
};

// `value` is the record value; empty or JSON null is a tombstone, as is a
// wrapper whose payload is null.
Envelope scan_envelope(std::string_view value);
// The envelope's views point into `value`: a temporary would leave them dangling.
Envelope scan_envelope(std::string&& value) = delete;

// Calls f(RawString key, std::string_view value) for each member of the JSON
// object `object` (raw text). Stops early when f returns false. Returns false
// when `object` is not a well-formed object at this level.
template <typename F>
bool for_each_member(std::string_view object, F&& f);

// Skips one JSON value starting at text[pos] (after any whitespace); returns the
// position just past it, or npos when the text ends first.
std::size_t skip_value(std::string_view text, std::size_t pos);
std::size_t skip_whitespace(std::string_view text, std::size_t pos);
// Parses the string token at text[pos] (pos at the opening quote); returns the
// position past the closing quote, or npos.
std::size_t read_string(std::string_view text, std::size_t pos, RawString& out);

template <typename F>
bool for_each_member(std::string_view object, F&& f) {
  std::size_t pos = skip_whitespace(object, 0);
  if (pos >= object.size() || object[pos] != '{') return false;
  pos = skip_whitespace(object, pos + 1);
  if (pos < object.size() && object[pos] == '}') return true;
  while (pos < object.size()) {
    RawString key;
    if (object[pos] != '"') return false;
    pos = read_string(object, pos, key);
    if (pos == std::string_view::npos) return false;
    pos = skip_whitespace(object, pos);
    if (pos >= object.size() || object[pos] != ':') return false;
    const std::size_t begin = skip_whitespace(object, pos + 1);
    const std::size_t end = skip_value(object, begin);
    if (end == std::string_view::npos) return false;
    if (!f(key, object.substr(begin, end - begin))) return true;
    pos = skip_whitespace(object, end);
    if (pos >= object.size()) return false;
    if (object[pos] == '}') return true;
    if (object[pos] != ',') return false;
    pos = skip_whitespace(object, pos + 1);
  }
  return false;
}

}  // namespace crp::connectors::debezium
