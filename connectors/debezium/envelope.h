// Finds the parts of a Debezium change event in a record value without
// parsing it: members are walked and every value not needed is skipped by
// bracket counting (container_skip.h). This is what lets rows of unconfigured tables be dropped
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
  // Inline: every member key of a scanned record is compared with a few names.
  bool equals(std::string_view text) const { return escaped ? decode() == text : raw == text; }
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

// Walks the members of the JSON object at text[pos] (after any whitespace):
// value_end(RawString key, std::size_t begin) reads or skips the value that
// starts at text[begin] and returns the position just past it, or npos to end
// the walk. Returns the position just past the object's closing brace, or npos
// when the object is not well formed at this level or value_end said npos.
template <typename F>
std::size_t walk_members(std::string_view text, std::size_t pos, F&& value_end) {
  constexpr std::size_t npos = std::string_view::npos;
  pos = skip_whitespace(text, pos);
  if (pos >= text.size() || text[pos] != '{') return npos;
  pos = skip_whitespace(text, pos + 1);
  if (pos < text.size() && text[pos] == '}') return pos + 1;
  while (pos < text.size()) {
    RawString key;
    if (text[pos] != '"') return npos;
    pos = read_string(text, pos, key);
    if (pos == npos) return npos;
    pos = skip_whitespace(text, pos);
    if (pos >= text.size() || text[pos] != ':') return npos;
    const std::size_t end = value_end(key, skip_whitespace(text, pos + 1));
    if (end == npos) return npos;
    pos = skip_whitespace(text, end);
    if (pos >= text.size()) return npos;
    if (text[pos] == '}') return pos + 1;
    if (text[pos] != ',') return npos;
    pos = skip_whitespace(text, pos + 1);
  }
  return npos;
}

template <typename F>
bool for_each_member(std::string_view object, F&& f) {
  constexpr std::size_t npos = std::string_view::npos;
  bool stopped = false;
  const std::size_t end = walk_members(object, 0, [&](const RawString& key, std::size_t begin) {
    const std::size_t value_end = skip_value(object, begin);
    if (value_end == npos) return npos;
    if (!f(key, object.substr(begin, value_end - begin))) {
      stopped = true;
      return npos;
    }
    return value_end;
  });
  return stopped || end != npos;
}

}  // namespace crp::connectors::debezium
