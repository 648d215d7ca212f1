#include "connectors/debezium/envelope.h"

#include <rapidjson/document.h>

#include "adapter/json/json.h"

#include <array>

namespace crp::connectors::debezium {
namespace {

constexpr std::size_t npos = std::string_view::npos;

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

enum : unsigned char { kPlain, kQuote, kOpen, kClose };

constexpr auto kByteClass = [] {
  std::array<unsigned char, 256> t{};
  t['"'] = kQuote;
  t['{'] = t['['] = kOpen;
  t['}'] = t[']'] = kClose;
  return t;
}();

// Inside a string only the closing quote and backslash matter.
constexpr auto kStringClass = [] {
  std::array<unsigned char, 256> t{};
  t['"'] = t['\\'] = 1;
  return t;
}();

bool is_null(std::string_view v) {
  return v.empty() || v == "null";
}

std::string_view trim(std::string_view v) {
  std::size_t b = skip_whitespace(v, 0);
  std::size_t e = v.size();
  while (e > b && is_space(v[e - 1])) --e;
  return v.substr(b, e - b);
}

// The members of a change event, at the top level or inside "payload".
bool read_change(std::string_view object, Envelope& env) {
  return for_each_member(object, [&](const RawString& key, std::string_view value) {
    if (key.equals("before")) {
      env.before = value;
    } else if (key.equals("after")) {
      env.after = value;
    } else if (key.equals("source")) {
      env.source = value;
    } else if (key.equals("op")) {
      if (!value.empty() && value[0] == '"') read_string(value, 0, env.op);
    }
    return true;
  });
}

bool read_source(std::string_view source, Envelope& env) {
  return for_each_member(source, [&](const RawString& key, std::string_view value) {
    RawString* into = key.equals("table")    ? &env.table
                      : key.equals("schema") ? &env.schema_name
                      : key.equals("db")     ? &env.db
                                             : nullptr;
    if (into && !value.empty() && value[0] == '"') read_string(value, 0, *into);
    return true;
  });
}

Envelope malformed(const char* problem) {
  Envelope e;
  e.problem = problem;
  return e;
}

}  // namespace

bool RawString::equals(std::string_view text) const {
  if (!escaped) return raw == text;
  return decode() == text;
}

std::string RawString::decode() const {
  if (!escaped) return std::string(raw);
  std::string quoted;
  quoted.reserve(raw.size() + 2);
  quoted += '"';
  quoted += raw;
  quoted += '"';
  rapidjson::Document d;
  std::string ignored;
  if (!json::parse(quoted, d, ignored) || !d.IsString())
    return std::string(raw);  // invalid escape: compare as written
  return std::string(d.GetString(), d.GetStringLength());
}

std::size_t skip_whitespace(std::string_view text, std::size_t pos) {
  while (pos < text.size() && is_space(text[pos])) ++pos;
  return pos;
}

std::size_t read_string(std::string_view text, std::size_t pos, RawString& out) {
  if (pos >= text.size() || text[pos] != '"') return npos;
  const std::size_t begin = ++pos;
  bool escaped = false;
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '"') {
      out.raw = text.substr(begin, pos - begin);
      out.escaped = escaped;
      return pos + 1;
    }
    if (c == '\\') {
      escaped = true;
      ++pos;  // the escaped character, whatever it is, cannot end the string
    }
    ++pos;
  }
  return npos;
}

std::size_t skip_value(std::string_view text, std::size_t pos) {
  pos = skip_whitespace(text, pos);
  if (pos >= text.size()) return npos;
  const char first = text[pos];
  if (first == '"') {
    RawString ignored;
    return read_string(text, pos, ignored);
  }
  if (first != '{' && first != '[') {
    // A number, true, false or null: up to the next delimiter.
    const std::size_t begin = pos;
    while (pos < text.size()) {
      const char c = text[pos];
      if (c == ',' || c == '}' || c == ']' || c == ':' || is_space(c)) break;
      ++pos;
    }
    return pos == begin ? npos : pos;
  }
  // A container: count brackets, stepping over strings (which may hold any
  // bracket). Table-driven, because with the schema wrapper this loop runs over
  // ~2 KB of Connect schema per record just to find where it ends.
  std::size_t depth = 0;
  const std::size_t n = text.size();
  while (pos < n) {
    while (pos < n && kByteClass[static_cast<unsigned char>(text[pos])] == kPlain) ++pos;
    if (pos >= n) break;
    switch (kByteClass[static_cast<unsigned char>(text[pos])]) {
      case kQuote:
        ++pos;
        for (;;) {
          while (pos < n && kStringClass[static_cast<unsigned char>(text[pos])] == 0) ++pos;
          if (pos >= n) return npos;
          if (text[pos] == '"') break;
          pos += 2;  // a backslash and the character it escapes
        }
        break;
      case kOpen:
        ++depth;
        break;
      default:  // kClose
        if (--depth == 0) return pos + 1;
        break;
    }
    ++pos;
  }
  return npos;
}

Envelope scan_envelope(std::string_view value) {
  value = trim(value);
  Envelope env;
  if (is_null(value)) {
    env.kind = Envelope::Kind::tombstone;
    return env;
  }
  // One walk of the top level: a plain event's members, or the wrapper's.
  std::string_view payload;
  bool has_payload = false;
  const bool ok = for_each_member(value, [&](const RawString& key, std::string_view v) {
    if (key.equals("payload")) {
      payload = v;
      has_payload = true;
    } else if (key.equals("schema")) {
      env.schema = v;
    } else if (key.equals("before")) {
      env.before = v;
    } else if (key.equals("after")) {
      env.after = v;
    } else if (key.equals("source")) {
      env.source = v;
    } else if (key.equals("op")) {
      if (!v.empty() && v[0] == '"') read_string(v, 0, env.op);
    }
    return true;
  });
  if (!ok) return malformed("value is not a JSON object");
  if (has_payload) {
    env.wrapped = true;
    if (is_null(payload)) {
      env.kind = Envelope::Kind::tombstone;
      return env;
    }
    env.before = env.after = env.source = {};
    env.op = {};
    if (!read_change(payload, env)) return malformed("/payload is not a JSON object");
  } else {
    env.schema = {};
  }
  if (env.source.empty() || is_null(env.source))
    return malformed("no source block: not a Debezium change event");
  if (!read_source(env.source, env)) return malformed("source is not a JSON object");
  if (env.table.empty()) return malformed("source.table is missing");
  env.kind = Envelope::Kind::change;
  return env;
}

}  // namespace crp::connectors::debezium
