#include "connectors/stage_mapping.h"

#include <cctype>

#include "adapter/json/json.h"
#include "adapter/json/schema_registry.h"

namespace crp::connectors {

std::string fold(const std::string& text) {
  std::string out;
  for (unsigned char ch : text) {
    if (std::isalnum(ch)) out.push_back(static_cast<char>(std::tolower(ch)));
  }
  return out;
}

StageLabels::StageLabels(std::shared_ptr<const ProtocolSet> protocols,
                         const rapidjson::Value& options, const std::string& case_system,
                         const std::string& config_file, const std::string& pointer)
    : protocols_(std::move(protocols)) {
  std::vector<const Protocol*> served;
  if (options.HasMember("protocols")) {
    const auto& list = options["protocols"];
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
      const ProtocolRuntime* rt = protocols_->find(list[i].GetString());
      if (!rt) {
        throw json::ConfigError(config_file, json::pointer_append(pointer + "/protocols", i),
                                std::string("no loaded protocol '") + list[i].GetString() + "'");
      }
      served.push_back(&rt->protocol);
    }
  } else {
    for (const auto& [id, rt] : protocols_->all()) {
      if (rt.protocol.case_system == case_system) served.push_back(&rt.protocol);
    }
  }
  if (served.empty()) {
    throw json::ConfigError(
        config_file, pointer,
        "no protocol to serve: list `protocols` or load one with case_system '" + case_system +
            "'");
  }
  auto add = [&](const std::string& label, StageRef ref) {
    for (auto* index : {&by_label_, &by_folded_label_}) {
      std::string key = index == &by_label_ ? label : fold(label);
      auto [it, inserted] = index->emplace(key, ref);
      if (!inserted && (it->second.protocol != ref.protocol || it->second.stage != ref.stage)) {
        throw json::ConfigError(config_file, pointer + "/protocols",
                                "stage label '" + label + "' names both " +
                                    it->second.protocol->id + "/" + it->second.stage->id + " and " +
                                    ref.protocol->id + "/" + ref.stage->id);
      }
      if (!inserted && !ref.track.empty()) it->second = ref;  // a track's own label says more
    }
  };
  for (const Protocol* p : served) {
    for (const Stage& s : p->stages) {
      add(s.label, StageRef{p, &s, ""});
      for (const auto& [track, label] : s.labels_by_track) add(label, StageRef{p, &s, track});
    }
  }
}

const StageRef* StageLabels::find(const std::string& label) const {
  if (auto it = by_label_.find(label); it != by_label_.end()) return &it->second;
  if (auto it = by_folded_label_.find(fold(label)); it != by_folded_label_.end())
    return &it->second;
  return nullptr;
}

std::optional<std::string> role_key(const Protocol& protocol, const std::string& role) {
  if (protocol.roles.count(role)) return role;
  const std::string folded = fold(role);
  if (folded.empty()) return std::nullopt;
  for (const auto& [key, title] : protocol.roles) {
    if (fold(title) == folded || fold(key) == folded) return key;
  }
  return std::nullopt;
}

SourceResult stage_record(InboundEvent event, const StageRef& ref, const Engine& state) {
  event.protocol = ref.protocol->id;
  const Challenge* c = state.find(event.challenge_id);
  if (!c) {
    event.type = EventType::raised;
    event.stage = ref.stage->id;
    event.track = ref.track;
    return SourceResult::ok(std::move(event));
  }
  event.finding_id.clear();  // a finding is taken up by raising a challenge, not by escalating one
  if (c->stage == ref.stage->id && c->protocol == ref.protocol->id) return SourceResult::drop();
  const Stage* current = ref.protocol->stage(c->stage);
  const bool chair_had_response =
      c->phase == Phase::under_review || c->phase == Phase::meeting_held;
  if (current && current->next == ref.stage->id && chair_had_response && !event.immediate_risk) {
    event.type = EventType::response_rejected;
  } else {
    event.type = EventType::escalated;
    event.to_stage = ref.stage->id;
  }
  return SourceResult::ok(std::move(event));
}

SourceResult mapping_error(const std::string& system, const std::string& pointer,
                           const std::string& rule) {
  return SourceResult::fail("crp.MappingError", system + " event " + pointer + ": " + rule);
}

std::optional<SourceResult> parse_and_validate(const std::string& system, const std::string& value,
                                               const std::string& schema,
                                               rapidjson::Document& doc) {
  std::string parse_error;
  if (!json::parse(value, doc, parse_error)) {
    return SourceResult::fail("crp.NotJson", system + " event is not JSON: " + parse_error);
  }
  if (auto v = json::validate(schema, doc)) {
    return SourceResult::fail("crp.SchemaViolation",
                              system + " event " +
                                  (v->document_pointer.empty() ? "/" : v->document_pointer) + ": " +
                                  v->message);
  }
  return std::nullopt;
}

std::string str(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString()
             ? std::string(it->value.GetString(), it->value.GetStringLength())
             : std::string();
}

const rapidjson::Value* obj(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsObject() ? &it->value : nullptr;
}

}  // namespace crp::connectors
