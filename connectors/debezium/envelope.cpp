#include "connectors/debezium/envelope.h"

#include <rapidjson/document.h>

#include "adapter/json/json.h"
#include "connectors/debezium/container_skip.h"

namespace crp::connectors::debezium {
namespace {

constexpr std::size_t npos = std::string_view::npos;

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

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
void read_change_member(const RawString& key, std::string_view value, Envelope& env) {
  if (key.equals("before")) {
    env.before = value;
  } else if (key.equals("after")) {
    env.after = value;
  } else if (key.equals("source")) {
    env.source = value;
  } else if (key.equals("op")) {
    if (!value.empty() && value[0] == '"') read_string(value, 0, env.op);
  }
}

bool read_change(std::string_view object, Envelope& env) {
  return for_each_member(object, [&](const RawString& key, std::string_view value) {
    read_change_member(key, value, env);
    return true;
  });
}

// Reads the members of the wrapper's payload, the object at text[begin], where
// they stand, instead of counting its brackets to find its end and walking it
// again. Returns where the payload ends, or npos when this walk cannot show it
// ends where the bracket count would: the walk failed (the caller then counts
// brackets and reads the payload as before, so a malformed payload is reported
// as it always was), or a member is a number, true, false or null holding a
// quote or an opening bracket — such a token ends at a delimiter, where the
// bracket count would step over its quote or count its bracket. Every other
// value is a string or a container that both read the same way.
std::size_t read_payload_in_place(std::string_view text, std::size_t begin, Envelope& change) {
  return walk_members(text, begin, [&](const RawString& key, std::size_t value_begin) {
    const std::size_t value_end = skip_value(text, value_begin);
    if (value_end == npos) return npos;
    const std::string_view value = text.substr(value_begin, value_end - value_begin);
    if (value[0] != '"' && value[0] != '{' && value[0] != '[') {
      for (const char c : value) {
        if (c == '"' || c == '{' || c == '[') return npos;
      }
    }
    read_change_member(key, value, change);
    return value_end;
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
  while ((pos = next_quote_or_backslash(text, pos)) < text.size()) {
    if (text[pos] == '"') {
      out.raw = text.substr(begin, pos - begin);
      out.escaped = escaped;
      return pos + 1;
    }
    escaped = true;
    pos += 2;  // a backslash and the character it escapes, which cannot end the string
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
  return skip_container(text, pos);
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
  Envelope read_payload;          // the payload's members, when read in place
  bool payload_was_read = false;  // of the last "payload" member, as the last one counts
  const bool ok = walk_members(value, 0, [&](const RawString& key, std::size_t begin) {
                    if (key.equals("payload")) {
                      has_payload = true;
                      read_payload = {};
                      const std::size_t end = read_payload_in_place(value, begin, read_payload);
                      payload_was_read = end != npos;
                      if (payload_was_read) {
                        payload = value.substr(begin, end - begin);
                        return end;
                      }
                    }
                    const std::size_t end = skip_value(value, begin);
                    if (end == npos) return npos;
                    const std::string_view v = value.substr(begin, end - begin);
                    if (key.equals("payload")) {
                      payload = v;
                    } else if (key.equals("schema")) {
                      env.schema = v;
                    } else {
                      read_change_member(key, v, env);
                    }
                    return end;
                  }) != npos;
  if (!ok) return malformed("value is not a JSON object");
  if (has_payload) {
    env.wrapped = true;
    if (is_null(payload)) {
      env.kind = Envelope::Kind::tombstone;
      return env;
    }
    env.before = env.after = env.source = {};
    env.op = {};
    if (payload_was_read) {
      env.before = read_payload.before;
      env.after = read_payload.after;
      env.source = read_payload.source;
      env.op = read_payload.op;
    } else if (!read_change(payload, env)) {
      return malformed("/payload is not a JSON object");
    }
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
