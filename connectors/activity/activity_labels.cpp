#include "connectors/activity/activity_labels.h"

#include <algorithm>

#include "adapter/json/json.h"
#include "connectors/stage_mapping.h"

namespace crp::connectors::activity {

LabelTable::LabelTable(const rapidjson::Value& options, const char* key,
                       std::initializer_list<std::pair<const char*, const char*>> defaults,
                       std::initializer_list<const char*> meanings, const std::string& config_file,
                       const std::string& pointer) {
  for (const auto& [label, meaning] : defaults) by_folded_[fold(label)] = meaning;
  if (!options.HasMember(key)) return;
  const rapidjson::Value& entries = options[key];
  for (auto m = entries.MemberBegin(); m != entries.MemberEnd(); ++m) {
    const std::string meaning = m->value.GetString();
    if (std::find(meanings.begin(), meanings.end(), meaning) == meanings.end()) {
      throw json::ConfigError(config_file,
                              json::pointer_append(pointer + "/" + key, m->name.GetString()),
                              "unknown meaning '" + meaning + "'");
    }
    by_folded_[fold(m->name.GetString())] = meaning;
  }
}

const std::string& LabelTable::find(const std::string& label) const {
  static const std::string none;
  auto it = by_folded_.find(fold(label));
  return it == by_folded_.end() ? none : it->second;
}

std::string activity_protocol(const ProtocolSet& protocols, const rapidjson::Value& options,
                              const std::string& case_system, const std::string& config_file,
                              const std::string& pointer) {
  if (options.HasMember("activity_protocol")) {
    const std::string id = options["activity_protocol"].GetString();
    if (!protocols.find(id)) {
      throw json::ConfigError(config_file, pointer + "/activity_protocol",
                              "no loaded protocol '" + id + "'");
    }
    return id;
  }
  std::vector<std::string> served;
  if (options.HasMember("protocols")) {
    for (const auto& p : options["protocols"].GetArray()) served.emplace_back(p.GetString());
  } else {
    for (const auto& [id, rt] : protocols.all()) {
      if (rt.protocol.case_system == case_system) served.push_back(id);
    }
  }
  return served.size() == 1 ? served.front() : std::string();
}

}  // namespace crp::connectors::activity
