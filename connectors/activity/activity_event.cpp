#include "connectors/activity/activity_event.h"

namespace crp::connectors::activity {

rapidjson::Document to_canonical(const ActivityEvent& e) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  auto put = [&](const char* name, const std::string& v) {
    if (v.empty()) return;
    doc.AddMember(rapidjson::StringRef(name),
                  rapidjson::Value(v.c_str(), static_cast<rapidjson::SizeType>(v.size()), a), a);
  };
  put("type", e.type);
  put("event_id", e.event_id);
  put("occurred_at", format_iso8601(e.occurred_at));
  put("plan_id", e.plan_id);
  put("case_id", e.case_id);
  put("protocol", e.protocol);
  put("conference_id", e.conference_id);
  put("conference_kind", e.conference_kind);
  if (e.conference_at) put("conference_at", format_iso8601(*e.conference_at));
  if (e.interpreter_needed) doc.AddMember("interpreter_needed", *e.interpreter_needed, a);
  put("plan_outcome", e.plan_outcome);
  put("finding_id", e.finding_id);
  put("team", e.team);
  put("locality", e.locality);
  if (!e.source_system.empty()) {
    rapidjson::Value source(rapidjson::kObjectType);
    source.AddMember("system", rapidjson::Value(e.source_system.c_str(), a), a);
    doc.AddMember("source", source, a);
  }
  return doc;
}

std::optional<std::string> type_not_understood(const std::string& type,
                                               const InboundEvent& parsed) {
  if (type == to_string(parsed.type)) return std::nullopt;
  return "canonical type " + type + " is not one this engine handles";
}

SourceResult to_source_result(const ActivityEvent& e, const std::string& system) {
  const rapidjson::Document doc = to_canonical(e);
  EventError error;
  std::optional<InboundEvent> event = parse_canonical(doc, error);
  if (!event) {
    return SourceResult::fail("crp.MappingError",
                              system + " event: the mapped activity is refused: " + error.message);
  }
  if (auto why = type_not_understood(e.type, *event))
    return SourceResult::fail("crp.MappingError", system + " event: " + *why);
  return SourceResult::ok(std::move(*event));
}

SourceResult to_source_result(Mapped m, const std::string& system) {
  if (auto* e = std::get_if<ActivityEvent>(&m)) return to_source_result(*e, system);
  return std::get<SourceResult>(std::move(m));
}

}  // namespace crp::connectors::activity
