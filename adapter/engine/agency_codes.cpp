#include "adapter/engine/agency_codes.h"

#include <cctype>

#include "adapter/json/json.h"

namespace crp {
namespace {

// The code list every table shares: the report and partner files rely on it.
const char* const kCodes[] = {"health",  "police",    "education",       "probation",
                              "housing", "voluntary", "local_authority", "other"};

// Lower-case ASCII, runs of white space as one space, trimmed.
std::string normalise_agency_text(std::string_view text) {
  std::string out;
  bool space = false;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isspace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

}  // namespace

AgencyCodes::AgencyCodes() {
  for (const char* c : kCodes) {
    codes_.insert(c);
    alias_to_code_.emplace(c, c);
  }
}

AgencyCodes AgencyCodes::from_json(const rapidjson::Value& doc, const std::string& file) {
  AgencyCodes t;
  const rapidjson::Value& aliases = doc["aliases"];
  for (auto m = aliases.MemberBegin(); m != aliases.MemberEnd(); ++m) {
    const std::string code = m->name.GetString();
    const std::string at = json::pointer_append("/aliases", code);
    if (!t.codes_.count(code))
      throw json::ConfigError(file, at, "'" + code + "' is not an agency code");
    for (rapidjson::SizeType i = 0; i < m->value.Size(); ++i) {
      const std::string alias = normalise_agency_text(m->value[i].GetString());
      auto [it, added] = t.alias_to_code_.emplace(alias, code);
      if (!added && it->second != code) {
        throw json::ConfigError(file, at + "/" + std::to_string(i),
                                "'" + alias + "' is already an alias of " + it->second);
      }
    }
  }
  return t;
}

AgencyCodes::Coded AgencyCodes::code_of(std::string_view text) const {
  const std::string key = normalise_agency_text(text);
  if (key.empty()) return {};
  if (auto it = alias_to_code_.find(key); it != alias_to_code_.end()) return {it->second, true};
  return {std::string(kOther), false};
}

}  // namespace crp
