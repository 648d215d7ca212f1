#include "connectors/activity/activity_mapper.h"

#include "connectors/activity/activity_labels.h"
#include "connectors/stage_mapping.h"

namespace crp::connectors::activity {

std::optional<bool> flag(const rapidjson::Value* o, const char* key) {
  if (!o || !o->HasMember(key)) return std::nullopt;
  return (*o)[key].GetBool();
}

ActivityMapper::ActivityMapper(std::string system, const ProtocolSet& protocols,
                               const rapidjson::Value& options, const std::string& config_file,
                               const std::string& pointer)
    : system_(std::move(system)),
      protocol_(activity_protocol(protocols, options, system_, config_file, pointer)) {}

Mapped ActivityMapper::fail(const std::string& pointer, const std::string& rule) const {
  return mapping_error(system_, pointer, rule);
}

Mapped ActivityMapper::start(const rapidjson::Document& doc, Instant at,
                             const char* label_at) const {
  if (protocol_.empty()) {
    return fail(label_at,
                "an activity record, but the input serves several protocols: name its "
                "activity_protocol");
  }
  ActivityEvent e;
  e.source_system = system_;
  e.event_id = system_ + ":" + str(doc, "event_id");
  e.occurred_at = at;
  e.case_id = str(doc, "person_id");
  e.protocol = protocol_;
  if (const auto* team = obj(doc, "allocated_team")) {
    e.team = str(*team, "name");
    e.locality = str(*team, "locality");
  }
  return e;
}

Mapped ActivityMapper::visit(const rapidjson::Value* holder, const char* pointer, const char* what,
                             ActivityEvent e) const {
  const std::optional<bool> seen = flag(holder, "child_seen");
  if (!seen) return fail(pointer, std::string("required in a ") + what);
  if (!*seen) return SourceResult::drop();  // a visit without the child: not a sighting
  e.type = "child.seen";
  return e;
}

Mapped ActivityMapper::suggestion_response(const rapidjson::Value* answers, ActivityEvent e) const {
  e.finding_id = answers ? str(*answers, "finding_id") : "";
  if (e.finding_id.empty())
    return fail("/form/answers/finding_id", "required: the finding the response is about");
  if (str(*answers, "decision") != "dismissed") return SourceResult::drop();  // taken up
  e.type = "watch.suggestion_dismissed";
  return e;
}

}  // namespace crp::connectors::activity
