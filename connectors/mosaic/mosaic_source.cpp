#include "connectors/mosaic/mosaic_source.h"

#include "adapter/json/json.h"

namespace crp::connectors::mosaic {
namespace {

constexpr const char* kSystem = "mosaic";

std::set<std::string> folded_list(const rapidjson::Value& options, const char* key,
                                  std::initializer_list<const char*> defaults) {
  std::set<std::string> out;
  if (options.HasMember(key)) {
    for (const auto& v : options[key].GetArray()) out.insert(fold(v.GetString()));
  } else {
    for (const char* d : defaults) out.insert(fold(d));
  }
  return out;
}

void take_contact(const rapidjson::Value* person, const Protocol& p, InboundEvent& e) {
  if (!person) return;
  std::string email = str(*person, "email");
  if (email.empty()) return;
  if (auto key = role_key(p, str(*person, "role"))) e.contact_emails.emplace(*key, email);
}

}  // namespace

MosaicSource::MosaicSource(std::shared_ptr<const ProtocolSet> protocols,
                           const rapidjson::Value& options, const std::string& config_file,
                           const std::string& pointer)
    : labels_(protocols, options, kSystem, config_file, pointer),
      activity_(*protocols, options, config_file, pointer) {
  record_forms_ =
      folded_list(options, "record_forms", {"Informal Resolution form", "Formal Resolution form"});
  response_forms_ = folded_list(options, "response_forms", {"Resolution Response"});
  approval_forms_ = folded_list(options, "approval_forms", {"Resolution Response Approval"});
  if (options.HasMember("close_actions")) {
    for (auto m = options["close_actions"].MemberBegin(); m != options["close_actions"].MemberEnd();
         ++m) {
      close_actions_[fold(m->name.GetString())] = m->value.GetString();
    }
  } else {
    close_actions_ = {{fold("Resolution agreed - close"), "resolved"},
                      {fold("Resolution withdrawn - close"), "withdrawn"}};
  }
}

SourceResult MosaicSource::map(const Record& record, const Engine& state) const {
  return map_timed_record(
      kSystem, "inbound/mosaic.schema.json", record.value,
      [&](const rapidjson::Document& doc, Instant at) { return map_document(doc, at, state); });
}

SourceResult MosaicSource::map_document(const rapidjson::Document& doc, Instant at,
                                        const Engine& state) const {
  const rapidjson::Value& step = doc["step"];
  const StageRef* ref = labels_.find(str(step, "step_type"));
  if (!ref) {
    if (auto activity = activity_.map(doc, at))
      return activity::to_source_result(std::move(*activity), kSystem);
    return SourceResult::drop();  // a step of some other workflow
  }

  InboundEvent e;
  e.source_system = kSystem;
  e.event_id = "mosaic:" + str(doc, "event_id");
  e.occurred_at = at;
  e.challenge_id = "mosaic-" + str(doc, "workflow_id");
  e.case_id = str(doc, "person_id");
  e.protocol = ref->protocol->id;
  if (const auto* team = obj(doc, "allocated_team")) {
    e.team = str(*team, "name");
    e.locality = str(*team, "locality");
  }
  take_contact(obj(step, "assigned_worker"), *ref->protocol, e);
  take_contact(obj(doc, "worker"), *ref->protocol, e);

  const Challenge* c = state.find(e.challenge_id);
  const std::string type = str(doc, "event_type");
  if (type == "step.status_changed") {
    const std::string status = str(step, "status");
    if (status == "Completed") return step_completed(step, std::move(e), *ref, state);
    if (status == "Reopened" && c && c->closed()) {
      return SourceResult::fail(
          "crp.ChallengeClosed",
          "mosaic event /step/status: a closed resolution is not reopened; raise a new one");
    }
    return SourceResult::drop();  // Incoming, In progress, Reopened while open: the stage runs on
  }

  // form.completed
  const rapidjson::Value* form = obj(doc, "form");
  if (!form) return mapping_error(kSystem, "/form", "required for form.completed");
  const std::string form_type = fold(str(*form, "form_type"));
  const rapidjson::Value* answers = obj(*form, "answers");
  if (record_forms_.count(form_type)) {
    if (answers) {
      if (answers->HasMember("immediate_risk"))
        e.immediate_risk = (*answers)["immediate_risk"].GetBool();
      if (answers->HasMember("categories")) {
        for (const auto& x : (*answers)["categories"].GetArray())
          e.categories.emplace_back(x.GetString());
      }
      e.agency = str(*answers, "agency");
      if (answers->HasMember("agreed_date")) e.respond_by = str(*answers, "agreed_date");
      // The watch finding this resolution takes up (a suggestion turned into a challenge).
      e.finding_id = str(*answers, "finding_id");
    }
    return stage_record(std::move(e), *ref, state);
  }
  const bool response = response_forms_.count(form_type) > 0;
  const bool approval = approval_forms_.count(form_type) > 0;
  if (!response && !approval) return SourceResult::drop();  // another form in the step
  if (c && c->stage != ref->stage->id) {
    return mapping_error(kSystem, "/step/step_type",
                         "names stage '" + ref->stage->id + "' but the resolution is at stage '" +
                             c->stage +
                             "': responses and approvals belong to the current stage's step");
  }
  if (response) {
    e.type = EventType::response_received;
    return SourceResult::ok(std::move(e));
  }
  if (answers && str(*answers, "decision") == "not_approved")
    return SourceResult::drop();  // the timer runs on
  const rapidjson::Value* worker = obj(doc, "worker");
  std::optional<std::string> by =
      worker ? role_key(*ref->protocol, str(*worker, "role")) : std::nullopt;
  if (!by) {
    return mapping_error(
        kSystem, "/worker/role",
        "an approval needs the approving worker's role, a role of protocol " + ref->protocol->id);
  }
  e.type = EventType::response_approved;
  e.approved_by = *by;
  return SourceResult::ok(std::move(e));
}

SourceResult MosaicSource::step_completed(const rapidjson::Value& step, InboundEvent e,
                                          const StageRef& ref, const Engine& state) const {
  const Challenge* c = state.find(e.challenge_id);
  if (c && !c->closed() && c->stage != ref.stage->id) {
    return mapping_error(kSystem, "/step/step_type",
                         "names stage '" + ref.stage->id + "' but the resolution is at stage '" +
                             c->stage +
                             "': only the current stage's step decides what happens next");
  }
  if (step.HasMember("next_actions")) {
    const auto& actions = step["next_actions"].GetArray();
    for (const auto& a : actions) {
      const std::string action = str(a, "action");
      if (const StageRef* next = labels_.find(action); next && next->protocol == ref.protocol) {
        if (!c)
          return SourceResult::fail("crp.UnknownChallenge",
                                    "mosaic event: no such resolution to escalate");
        return stage_record(std::move(e), *next, state);
      }
      if (auto close = close_actions_.find(fold(action)); close != close_actions_.end()) {
        e.type = close->second == "withdrawn" ? EventType::withdrawn : EventType::resolved;
        return SourceResult::ok(std::move(e));
      }
    }
  }
  return mapping_error(
      kSystem, "/step/next_actions",
      "a completed resolution step needs a next action that is a later stage's step or one of the "
      "input's close_actions");
}

}  // namespace crp::connectors::mosaic
