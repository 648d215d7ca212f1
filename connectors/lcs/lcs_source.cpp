#include "connectors/lcs/lcs_source.h"

#include "adapter/json/json.h"

namespace crp::connectors::lcs {
namespace {

constexpr const char* kSystem = "lcs";

// Form sections that mean something to a challenge; others are dropped.
const std::map<std::string, std::string>& default_sections() {
  static const std::map<std::string, std::string> sections{
      {"Response", "response_received"},
      {"Manager Approval", "response_approved"},
      {"Meeting Arrangements", "meeting_scheduled"},
      {"Meeting Outcome", "meeting_held"},
      {"Outcome", "decision"},
  };
  return sections;
}

bool known_action(const std::string& a) {
  return a == "response_received" || a == "response_approved" || a == "meeting_scheduled" ||
         a == "meeting_held" || a == "decision";
}

// Contacts from the author and recipients: role (key or title) -> email, for
// the roles the protocol knows. Names are not read.
void read_contacts(const rapidjson::Value& doc, const Protocol& p, InboundEvent& e) {
  auto take = [&](const rapidjson::Value& person) {
    std::string email = str(person, "email");
    if (email.empty()) return;
    if (auto key = role_key(p, str(person, "role"))) e.contact_emails.emplace(*key, email);
  };
  if (const auto* author = obj(doc, "author")) take(*author);
  if (doc.HasMember("recipients")) {
    for (const auto& r : doc["recipients"].GetArray()) take(r);
  }
}

// The structured answers of a stage form (free-text answers are not in the schema).
std::optional<SourceResult> read_answers(const rapidjson::Value& answers, InboundEvent& e) {
  if (answers.HasMember("immediate_risk")) e.immediate_risk = answers["immediate_risk"].GetBool();
  if (answers.HasMember("categories")) {
    for (const auto& c : answers["categories"].GetArray()) e.categories.emplace_back(c.GetString());
  }
  e.agency = str(answers, "agency");
  if (answers.HasMember("respond_by")) e.respond_by = str(answers, "respond_by");
  if (answers.HasMember("meeting_date")) {
    e.meeting_at = parse_iso8601(str(answers, "meeting_date"));
    if (!e.meeting_at)
      return mapping_error(kSystem, "/form/answers/meeting_date", "not an ISO 8601 instant");
  }
  return std::nullopt;
}

}  // namespace

LcsSource::LcsSource(std::shared_ptr<const ProtocolSet> protocols, const rapidjson::Value& options,
                     const std::string& config_file, const std::string& pointer)
    : labels_(protocols, options, kSystem, config_file, pointer),
      activity_(*protocols, options, config_file, pointer) {
  for (const auto& [name, action] : default_sections()) sections_[fold(name)] = action;
  if (options.HasMember("sections")) {
    for (auto m = options["sections"].MemberBegin(); m != options["sections"].MemberEnd(); ++m) {
      std::string action = m->value.GetString();
      if (!known_action(action)) {
        throw json::ConfigError(config_file,
                                json::pointer_append(pointer + "/sections", m->name.GetString()),
                                "unknown section action '" + action + "'");
      }
      sections_[fold(m->name.GetString())] = action;
    }
  }
}

SourceResult LcsSource::map(const Record& record, const Engine& state) const {
  return map_timed_record(
      kSystem, "inbound/lcs.schema.json", record.value,
      [&](const rapidjson::Document& doc, Instant at) { return map_document(doc, at, state); });
}

SourceResult LcsSource::map_document(const rapidjson::Document& doc, Instant at,
                                     const Engine& state) const {
  const std::string type = str(doc, "event_type");
  const rapidjson::Value* form = obj(doc, "form");
  const rapidjson::Value* note = obj(doc, "case_note");
  const rapidjson::Value* alert = obj(doc, "alert");
  std::string label;
  const char* label_at = "";
  if (type == "form.recorded" || type == "form.section_completed") {
    if (!form) return mapping_error(kSystem, "/form", "required for " + type);
    label = str(*form, "form_type"), label_at = "/form/form_type";
  } else if (type == "alert.sent") {
    if (!alert) return mapping_error(kSystem, "/alert", "required for " + type);
    label = str(*alert, "alert_type"), label_at = "/alert/alert_type";
  } else {
    if (!note) return mapping_error(kSystem, "/case_note", "required for " + type);
    // The echo of a note the adapter wrote itself (connectors/casenotes).
    if (note->HasMember("external_reference")) return SourceResult::drop();
    label = str(*note, "note_type"), label_at = "/case_note/note_type";
  }
  const StageRef* ref = labels_.find(label);
  if (!ref) {
    if (auto activity = activity_.map(doc, at))
      return activity::to_source_result(std::move(*activity), kSystem);
    return SourceResult::drop();  // one of LCS's many other forms, alerts and notes
  }

  const rapidjson::Value* workflow = obj(doc, "workflow");
  if (!workflow || str(*workflow, "process_id").empty()) {
    return mapping_error(kSystem, "/workflow/process_id",
                         std::string("required when ") + (label_at + 1) +
                             " is a stage label: the challenge is the LCS "
                             "workflow process");
  }
  InboundEvent e;
  e.source_system = kSystem;
  e.event_id = "lcs:" + str(doc, "event_id");
  e.occurred_at = at;
  e.challenge_id = "lcs-" + str(*workflow, "process_id");
  e.case_id = str(doc, "person_id");
  e.protocol = ref->protocol->id;
  if (const auto* team = obj(doc, "allocated_team")) {
    e.team = str(*team, "name");
    e.locality = str(*team, "locality");
  }
  read_contacts(doc, *ref->protocol, e);
  if (form && form->HasMember("answers")) {
    if (auto bad = read_answers((*form)["answers"], e)) return *bad;
  }

  if (type == "form.recorded" || type == "alert.sent") {
    // The watch finding a challenge raised by this form takes up (stage_record keeps it
    // on a raise only).
    if (form && form->HasMember("answers")) e.finding_id = str((*form)["answers"], "finding_id");
    return stage_record(std::move(e), *ref, state);
  }

  const Challenge* c = state.find(e.challenge_id);
  if (type == "case_note.added") {
    if (!c || c->stage != ref->stage->id) return stage_record(std::move(e), *ref, state);
    std::string status = str(*note, "status");
    if (status == "resolved")
      e.type = EventType::response_accepted;
    else if (status == "not_resolved")
      e.type = EventType::response_rejected;
    else
      return SourceResult::drop();  // a note on the discussion so far
    return SourceResult::ok(std::move(e));
  }

  // form.section_completed
  auto action = sections_.find(fold(str(*form, "section")));
  if (action == sections_.end()) return SourceResult::drop();  // e.g. "Challenge details"
  if (c && c->stage != ref->stage->id) {
    return mapping_error(kSystem, "/form/form_type",
                         "names stage '" + ref->stage->id + "' but the challenge is at stage '" +
                             c->stage + "': a section completes the current stage's form");
  }
  const std::string& a = action->second;
  if (a == "response_received") {
    e.type = EventType::response_received;
  } else if (a == "response_approved") {
    const rapidjson::Value* author = obj(doc, "author");
    std::optional<std::string> by =
        author ? role_key(*ref->protocol, str(*author, "role")) : std::nullopt;
    if (!by) {
      return mapping_error(
          kSystem, "/author/role",
          "an approval needs the approver's role, a role of protocol " + ref->protocol->id);
    }
    e.type = EventType::response_approved;
    e.approved_by = *by;
  } else if (a == "meeting_scheduled") {
    if (!e.meeting_at)
      return mapping_error(kSystem, "/form/answers/meeting_date", "required to confirm a meeting");
    e.type = EventType::meeting_scheduled;
  } else if (a == "meeting_held") {
    e.type = EventType::meeting_held;
  } else {
    const rapidjson::Value* answers = form->HasMember("answers") ? &(*form)["answers"] : nullptr;
    std::string decision = answers ? str(*answers, "decision") : "";
    if (decision == "resolved")
      e.type = EventType::response_accepted;
    else if (decision == "not_resolved")
      e.type = EventType::response_rejected;
    else if (decision == "withdrawn")
      e.type = EventType::withdrawn;
    else
      return mapping_error(kSystem, "/form/answers/decision", "required in the outcome section");
  }
  return SourceResult::ok(std::move(e));
}

}  // namespace crp::connectors::lcs
