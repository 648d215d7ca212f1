#include "adapter/json/schema_registry.h"

#include <rapidjson/internal/regex.h>
#include <rapidjson/pointer.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "adapter/json/json.h"

namespace crp {
const std::map<std::string, std::string>& embedded_schemas();
}

namespace crp::json {
namespace {

struct Compiled {
  struct Entry {
    rapidjson::Document source;  // kept to explain failures
    std::unique_ptr<rapidjson::SchemaDocument> schema;
  };
  std::map<std::string, Entry> by_name;
};

// RapidJSON 1.1 validates `pattern` with its own regex engine (the header
// picks it even though crp_json asks for std::regex), which lacks \s, \d, \w;
// a pattern it cannot compile is silently never checked. So every pattern must
// compile, or the binary refuses to run (docs/decisions/0026).
void require_patterns_compile(const std::string& name, const rapidjson::Value& node,
                              const std::string& at) {
  if (node.IsObject()) {
    for (const auto& m : node.GetObject()) {
      const std::string key(m.name.GetString(), m.name.GetStringLength());
      if (key == "pattern" && m.value.IsString() &&
          !rapidjson::internal::GenericRegex<rapidjson::UTF8<>>(m.value.GetString()).IsValid()) {
        throw std::logic_error("schemas/" + name + " " + pointer_append(at, key) + ": pattern " +
                               m.value.GetString() + " is not understood by RapidJSON's regex");
      }
      require_patterns_compile(name, m.value, pointer_append(at, key));
    }
  } else if (node.IsArray()) {
    for (rapidjson::SizeType i = 0; i < node.Size(); ++i) {
      require_patterns_compile(name, node[i], pointer_append(at, i));
    }
  }
}

const Compiled& compiled() {
  static const Compiled all = [] {
    Compiled c;
    for (const auto& [name, text] : embedded_schemas()) {
      Compiled::Entry e;
      std::string error;
      if (!parse(text, e.source, error)) throw std::logic_error("schemas/" + name + ": " + error);
      require_patterns_compile(name, e.source, "");
      e.schema = std::make_unique<rapidjson::SchemaDocument>(e.source);
      c.by_name.emplace(name, std::move(e));
    }
    return c;
  }();
  return all;
}

std::string list(const rapidjson::Value& array) {
  std::string out;
  for (const auto& v : array.GetArray()) {
    if (!out.empty()) out += ", ";
    out += v.IsString() ? std::string(v.GetString()) : to_string(v);
  }
  return out;
}

// RapidJSON 1.1 reports only the failing keyword and the two pointers; the
// schema node and the document node together give a sentence for people.
std::string describe(const std::string& keyword, const rapidjson::Value* rule,
                     const rapidjson::Value* node, const std::string& pointer) {
  if (rule && rule->IsObject()) {
    if (keyword == "required" && rule->HasMember("required") && node && node->IsObject()) {
      std::string missing;
      for (const auto& r : (*rule)["required"].GetArray()) {
        if (!node->HasMember(r))
          missing += (missing.empty() ? "" : ", ") + std::string(r.GetString());
      }
      return "missing required property " + missing;
    }
    if (keyword == "additionalProperties") {
      // RapidJSON points at the offending property itself.
      return "property not allowed here: " + pointer.substr(pointer.rfind('/') + 1);
    }
    if (keyword == "type" && rule->HasMember("type")) {
      const auto& t = (*rule)["type"];
      return "wrong type, expected " + (t.IsArray() ? list(t) : std::string(t.GetString()));
    }
    if (keyword == "enum" && rule->HasMember("enum"))
      return "must be one of: " + list((*rule)["enum"]);
    if (keyword == "pattern" && rule->HasMember("pattern")) {
      return std::string("does not match pattern ") + (*rule)["pattern"].GetString();
    }
    for (const char* k : {"minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems",
                          "minProperties"}) {
      if (keyword == k && rule->HasMember(k)) return keyword + " is " + to_string((*rule)[k]);
    }
  }
  if (keyword == "uniqueItems") return "items must be unique";
  return "fails schema keyword '" + keyword + "'";
}

// Plain JSON pointer text from the pointer's tokens. Not Stringify(UriFragment):
// on a member name that is not valid UTF-8, RapidJSON 1.1's Stringify reads past
// the token's end (heap overflow found by tests/fuzz/fuzz_protocol_loader).
template <typename P>
std::string pointer_text(const P& p) {
  std::string out;
  for (std::size_t i = 0; i < p.GetTokenCount(); ++i) {
    out = pointer_append(out, std::string_view(p.GetTokens()[i].name, p.GetTokens()[i].length));
  }
  return out;
}

}  // namespace

std::optional<SchemaViolation> validate(const std::string& name, const rapidjson::Value& doc) {
  const auto& all = compiled().by_name;
  auto it = all.find(name);
  if (it == all.end()) throw std::logic_error("no embedded schema named " + name);
  rapidjson::SchemaValidator validator(*it->second.schema);
  if (doc.Accept(validator)) return std::nullopt;

  SchemaViolation v;
  v.document_pointer = pointer_text(validator.GetInvalidDocumentPointer());
  const std::string rule_at = pointer_text(validator.GetInvalidSchemaPointer());
  v.keyword = validator.GetInvalidSchemaKeyword();
  const rapidjson::Value* rule =
      rapidjson::Pointer(rule_at.data(), rule_at.size()).Get(it->second.source);
  const rapidjson::Value* node =
      rapidjson::Pointer(v.document_pointer.data(), v.document_pointer.size()).Get(doc);
  v.message = describe(v.keyword, rule, node, v.document_pointer);
  return v;
}

const std::string& schema_text(const std::string& name) {
  const auto& table = embedded_schemas();
  auto it = table.find(name);
  if (it == table.end()) throw std::out_of_range("no embedded schema named " + name);
  return it->second;
}

}  // namespace crp::json
