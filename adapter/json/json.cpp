#include "adapter/json/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_set>
#include <vector>

namespace crp::json {

ConfigError::ConfigError(std::string file, std::string pointer, std::string reason)
    : std::runtime_error(file + ": " + (pointer.empty() ? "/" : pointer) + ": " + reason),
      file_(std::move(file)),
      pointer_(std::move(pointer)),
      reason_(std::move(reason)) {}

namespace {

// Relaxed atomics: set once at start-up, before the threads that read
// records exist; atomic only so a test or a reload can never tear them.
std::atomic<std::size_t> g_record_depth{kRecordLimits.max_depth};
std::atomic<std::size_t> g_record_bytes{kRecordLimits.max_bytes};

// Iterative: the reader keeps its own stack on the heap, so no input can
// exhaust the thread's stack while being read; the depth limit below keeps
// what it builds safe for the recursive code that walks a document later.
// (Not kParseFullPrecisionFlag: RapidJSON 1.1's full-precision path passes 0
// to clz for "0e308", undefined behaviour found by tests/fuzz/fuzz_json_limits.)
constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

// RapidJSON validates the raw bytes but decodes "\u0000" to a NUL and a lone
// low surrogate ("\uDC00") to the bytes ED B0 80, which no UTF-8 consumer
// accepts; both would reach state, Kafka and partners, so both are refused.
const char* string_problem(const char* s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return "NUL character in a string";
    if (c == 0xED && i + 1 < n && static_cast<unsigned char>(s[i + 1]) >= 0xA0)
      return "unpaired UTF-16 surrogate";
  }
  return nullptr;
}

// Forwards SAX events to `Inner` (a Document, or a null handler) and stops the
// reader at the first broken rule, remembering which.
template <typename Inner>
class Checked {
 public:
  Checked(Inner& inner, const Limits& limits) : inner_(inner), limits_(limits) {}

  const std::string& problem() const { return problem_; }

  bool Null() { return inner_.Null(); }
  bool Bool(bool b) { return inner_.Bool(b); }
  bool Int(int i) { return inner_.Int(i); }
  bool Uint(unsigned i) { return inner_.Uint(i); }
  bool Int64(std::int64_t i) { return inner_.Int64(i); }
  bool Uint64(std::uint64_t i) { return inner_.Uint64(i); }
  bool Double(double d) {
    // RapidJSON 1.1 reads 1e309 as "too big" but 3e308 as infinity, which its
    // Writer then cannot write (the output stops there): refuse both alike.
    return std::isfinite(d) ? inner_.Double(d) : refuse("number out of range");
  }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return inner_.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    return text(s, n) && inner_.String(s, n, copy);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    if (!text(s, n)) return false;
    // Consumers disagree on which of two equal keys wins; refusing is the only
    // reading every consumer shares. The key is not named: it is input.
    if (!keys_[depth_ - 1].emplace(s, n).second) return refuse("duplicate key");
    return inner_.Key(s, n, copy);
  }
  bool StartObject() {
    if (!open()) return false;
    keys_[depth_ - 1].clear();
    return inner_.StartObject();
  }
  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    return inner_.EndObject(n);
  }
  bool StartArray() { return open() && inner_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    return inner_.EndArray(n);
  }

 private:
  bool open() {
    if (depth_ >= limits_.max_depth) {
      return refuse("nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    ++depth_;
    if (keys_.size() < depth_) keys_.resize(depth_);
    return true;
  }
  bool text(const char* s, std::size_t n) {
    const char* p = string_problem(s, n);
    return p == nullptr || refuse(p);
  }
  bool refuse(std::string why) {
    problem_ = std::move(why);
    return false;
  }

  Inner& inner_;
  const Limits& limits_;
  std::size_t depth_ = 0;
  // The keys seen so far in the object open at each depth (index depth - 1).
  std::vector<std::unordered_set<std::string>> keys_;
  std::string problem_;
};

std::string located(std::string_view text, std::size_t offset, const std::string& reason) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + " column " + std::to_string(column) + ": " + reason;
}

// Runs the reader over `text` into `handler`; false with `error` set on any
// syntax error or broken rule.
template <typename Inner>
bool read(std::string_view text, Inner& inner, std::string& error, const Limits& limits) {
  if (text.size() > limits.max_bytes) {
    error = "value larger than " + std::to_string(limits.max_bytes) + " bytes";
    return false;
  }
  // RapidJSON's streams end at a NUL byte, so "{}\0<anything>" would read as
  // "{}" and the rest pass unseen. No JSON text holds a raw NUL.
  // (memchr wants a non-null pointer even for no bytes: an empty view may have none.)
  if (const void* nul = text.empty() ? nullptr : std::memchr(text.data(), 0, text.size())) {
    error = located(text, static_cast<const char*>(nul) - text.data(), "NUL character");
    return false;
  }
  Checked<Inner> handler(inner, limits);
  // A UTF-8 byte order mark is skipped, whole. (RapidJSON's own BOM skip takes
  // each of its three bytes alone, so "\xBB0" read as 0.)
  const std::size_t bom = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  rapidjson::MemoryStream is(text.data() + bom, text.size() - bom);
  rapidjson::Reader reader;
  const rapidjson::ParseResult result = reader.Parse<kParseFlags>(is, handler);
  if (!result.IsError()) return true;
  std::string reason = !handler.problem().empty() ? handler.problem()
                       : result.Code() == rapidjson::kParseErrorStringInvalidEncoding
                           ? std::string("invalid UTF-8")
                           : std::string(rapidjson::GetParseError_En(result.Code()));
  error = located(text, bom + result.Offset(), reason);
  return false;
}

}  // namespace

Limits record_limits() {
  return {g_record_depth.load(std::memory_order_relaxed),
          g_record_bytes.load(std::memory_order_relaxed)};
}

void set_record_limits(const Limits& limits) {
  g_record_depth.store(limits.max_depth, std::memory_order_relaxed);
  g_record_bytes.store(limits.max_bytes, std::memory_order_relaxed);
}

bool parse(std::string_view text, rapidjson::Document& doc, std::string& error,
           const Limits& limits) {
  bool ok = false;
  auto generate = [&](rapidjson::Document& into) {
    ok = read(text, into, error, limits);
    return ok;
  };
  doc.Populate(generate);
  return ok;
}

bool check(std::string_view text, std::string& error, const Limits& limits) {
  rapidjson::BaseReaderHandler<> ignore;
  return read(text, ignore, error, limits);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, "", "cannot open file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

rapidjson::Document parse_file(const std::string& path) {
  std::string text = read_file(path);
  rapidjson::Document doc;
  std::string error;
  if (!parse(text, doc, error, kFileLimits))
    throw ConfigError(path, "", "not valid JSON: " + error);
  return doc;
}

std::string to_string(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string pointer_append(const std::string& base, std::string_view token) {
  std::string out = base + "/";
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string pointer_append(const std::string& base, std::size_t index) {
  return base + "/" + std::to_string(index);
}

}  // namespace crp::json
