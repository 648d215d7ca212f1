// libFuzzer target for json::parse and json::check (docs/decisions/0035): the
// first byte picks how the rest is used, so the fuzzer reaches each rule
// quickly instead of waiting to stumble on 65 brackets or two equal keys.
//   0: the bytes as a JSON text;
//   1: a valid value (the rest, if it parses) wrapped in 56..311 arrays;
//   2: the rest as a string's content (only '"', '\' and controls escaped),
//      in an array: accepted exactly when the bytes are UTF-8 without NUL;
//   3: the rest as an object key, given twice: never accepted.
// Every mode checks: parse and check agree to the byte; an accepted document is
// at most 64 deep, has no repeated key in any object, holds only valid UTF-8
// without NUL, and serialises to a text that parses (to the same text when it
// holds no double).
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "adapter/json/json.h"

namespace {

// Independent of RapidJSON: RFC 3629 (no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto t = static_cast<unsigned char>(s[i + k]);
      if ((t & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (t & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

bool clean_text(const rapidjson::Value& s) {
  const std::string_view t(s.GetString(), s.GetStringLength());
  return valid_utf8(t) && t.find('\0') == std::string_view::npos;
}

// Recursion is safe here: an accepted document is at most 64 deep, which this
// also checks.
bool well_formed(const rapidjson::Value& v, std::size_t depth) {
  if (v.IsString()) return clean_text(v);
  if (!v.IsObject() && !v.IsArray()) return true;
  if (depth > crp::json::kRecordLimits.max_depth) return false;
  if (v.IsArray()) {
    for (const auto& e : v.GetArray()) {
      if (!well_formed(e, depth + 1)) return false;
    }
    return true;
  }
  std::unordered_set<std::string_view> keys;
  for (const auto& m : v.GetObject()) {
    if (!clean_text(m.name) || !well_formed(m.value, depth + 1)) return false;
    if (!keys.emplace(m.name.GetString(), m.name.GetStringLength()).second) return false;
  }
  return true;
}

bool has_double(const rapidjson::Value& v) {
  if (v.IsDouble()) return true;
  if (v.IsArray()) {
    for (const auto& e : v.GetArray()) {
      if (has_double(e)) return true;
    }
  }
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      if (has_double(m.value)) return true;
    }
  }
  return false;
}

std::string quoted(std::string_view bytes) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\', out += ch;
    } else if (c < 0x20) {
      out += "\\u00", out += hex[c >> 4], out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// Parses `text`, checks every property, and returns whether it was accepted.
bool accepted(const std::string& text) {
  rapidjson::Document doc;
  std::string parse_error, check_error;
  const bool parsed = crp::json::parse(text, doc, parse_error);
  const bool checked = crp::json::check(text, check_error);
  if (parsed != checked || parse_error != check_error) __builtin_trap();
  if (!parsed) {
    if (parse_error.empty()) __builtin_trap();
    return false;
  }
  if (!well_formed(doc, 1)) __builtin_trap();
  // What the Writer prints reads back (an infinity used to stop its output);
  // the same text only without doubles, which RapidJSON's default (not full
  // precision) reading may move by an ulp.
  const std::string once = crp::json::to_string(doc);
  rapidjson::Document again;
  if (!crp::json::parse(once, again, parse_error)) __builtin_trap();
  if (!has_double(doc) && crp::json::to_string(again) != once) __builtin_trap();
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      accepted(std::string(rest));
      break;
    case 1: {
      if (rest.empty()) break;
      const std::size_t levels = 56 + static_cast<unsigned char>(rest[0]);
      const std::string inner(rest.substr(1));
      std::string error;
      // Only a valid value says something here, and one without a byte order
      // mark, which is allowed at the start of a text but not inside it.
      if (!crp::json::check(inner, error) || inner.starts_with("\xEF\xBB\xBF")) break;
      rapidjson::Document d;
      crp::json::parse(inner, d, error);
      std::size_t inner_depth = 0;  // of the valid inner value, by its own brackets
      for (std::size_t depth = 0, i = 0; i < inner.size(); ++i) {
        const char c = inner[i];
        if (c == '"') {
          for (++i; i < inner.size() && inner[i] != '"'; ++i) i += inner[i] == '\\';
        } else if (c == '[' || c == '{') {
          inner_depth = std::max(inner_depth, ++depth);
        } else if (c == ']' || c == '}') {
          --depth;
        }
      }
      const std::string text = std::string(levels, '[') + inner + std::string(levels, ']');
      const bool ok = accepted(text);
      if (ok != (levels + inner_depth <= crp::json::kRecordLimits.max_depth)) __builtin_trap();
      if (!ok && text.size() <= crp::json::kRecordLimits.max_bytes) {
        crp::json::check(text, error);
        if (error.find("nesting deeper than 64 levels") == std::string::npos) __builtin_trap();
      }
      break;
    }
    case 2: {
      const bool ok = accepted("[" + quoted(rest) + "]");
      const bool expected = valid_utf8(rest) && rest.find('\0') == std::string_view::npos;
      if (ok != expected) __builtin_trap();
      break;
    }
    case 3: {
      const std::string key = quoted(rest);
      const bool single = accepted("{" + key + ":1}");
      if (accepted("{" + key + ":1," + key + ":2}")) __builtin_trap();
      if (single) {
        std::string error;
        crp::json::check("{" + key + ":1," + key + ":2}", error);
        if (error.find("duplicate key") == std::string::npos) __builtin_trap();
      }
      break;
    }
  }
  return 0;
}
