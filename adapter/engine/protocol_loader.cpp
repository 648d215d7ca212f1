#include "adapter/engine/protocol_loader.h"

#include <set>

#include "adapter/json/json.h"
#include "adapter/json/schema_registry.h"

namespace crp {
namespace {

using json::ConfigError;

std::string str(const rapidjson::Value& o, const char* key, std::string fallback = {}) {
  return o.HasMember(key) ? std::string(o[key].GetString()) : fallback;
}

std::vector<std::string> strings(const rapidjson::Value& o, const char* key) {
  std::vector<std::string> out;
  if (!o.HasMember(key)) return out;
  for (const auto& v : o[key].GetArray()) out.emplace_back(v.GetString());
  return out;
}

Deadline deadline(const rapidjson::Value& d) {
  Deadline out;
  out.amount = d["amount"].GetInt();
  std::string unit = d["unit"].GetString();
  out.unit = unit == "days"    ? DeadlineUnit::days
             : unit == "weeks" ? DeadlineUnit::weeks
                               : DeadlineUnit::working_days;
  return out;
}

LocalTimeOfDay time_of_day(const std::string& hhmm) {
  return LocalTimeOfDay{std::stoi(hhmm.substr(0, 2)) * 60 + std::stoi(hhmm.substr(3, 2))};
}

Stage stage(const rapidjson::Value& s) {
  Stage out;
  out.id = s["id"].GetString();
  out.label = s["label"].GetString();
  if (s.HasMember("labels_by_track")) {
    for (auto m = s["labels_by_track"].MemberBegin(); m != s["labels_by_track"].MemberEnd(); ++m) {
      out.labels_by_track.emplace(m->name.GetString(), m->value.GetString());
    }
  }
  out.formal = s.HasMember("formal") ? s["formal"].GetBool() : true;
  out.to = strings(s, "to");
  out.cc = strings(s, "cc");
  const auto& r = s["response"];
  out.response_by = r["by"].GetString();
  std::string kind = r["kind"].GetString();
  out.response_kind = kind == "meeting_date_confirmed" ? ResponseKind::meeting_date_confirmed
                      : kind == "meeting_held"         ? ResponseKind::meeting_held
                                                       : ResponseKind::written_response;
  if (r.HasMember("deadline")) out.response_deadline = deadline(r["deadline"]);
  if (r.HasMember("agreed_deadline_max"))
    out.agreed_deadline_max = deadline(r["agreed_deadline_max"]);
  out.approval_by = str(r, "approval_by");
  out.on_overdue = std::string(s["on_overdue"].GetString()) == "escalate" ? OnOverdue::escalate
                                                                          : OnOverdue::notify;
  out.next = str(s, "next");
  out.reachable_by_skipping =
      s.HasMember("reachable_by_skipping") ? s["reachable_by_skipping"].GetBool() : true;
  out.skip_requires_immediate_risk =
      s.HasMember("skip_requires_immediate_risk") && s["skip_requires_immediate_risk"].GetBool();
  if (s.HasMember("duties")) {
    for (const auto& d : s["duties"].GetArray()) {
      out.duties.push_back(Duty{d["id"].GetString(), d["label"].GetString(), d["owner"].GetString(),
                                deadline(d["deadline"])});
    }
  }
  if (s.HasMember("partners")) {
    for (const auto& p : s["partners"].GetArray()) {
      PartnerRoute route{p["route"].GetString(), PartnerWhen::stage_started};
      if (p.HasMember("when") && std::string(p["when"].GetString()) == "immediate_risk") {
        route.when = PartnerWhen::immediate_risk;
      }
      out.partners.push_back(route);
    }
  }
  return out;
}

// Checks the schema cannot express: references resolve, routes are acyclic.
class Checker {
 public:
  Checker(const Protocol& p, const std::string& file) : p_(p), file_(file) {}

  void run() {
    // RapidJSON 1.1 mis-validates patternProperties, so role keys are checked here.
    for (const auto& [key, title] : p_.roles) {
      bool ok = !key.empty() && key[0] >= 'a' && key[0] <= 'z';
      for (char ch : key)
        ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_');
      if (!ok) fail(json::pointer_append("/roles", key), "role keys are lower_snake_case");
    }
    role(p_.chair_role, "/chair_role");
    roles(p_.always_cc, "/always_cc");
    stages(p_.start_stages, "/start_stages");
    stages(p_.immediate_risk_start_stages, "/immediate_risk_start_stages");
    if (p_.process_limit) {
      stage_ref(p_.process_limit->from_stage, "/process_limit/from_stage");
      roles(p_.process_limit->notify, "/process_limit/notify");
    }
    if (!p_.dissent_stage.empty()) stage_ref(p_.dissent_stage, "/dissent_stage");
    if (p_.step_down_check) {
      stage_ref(p_.step_down_check->invoke_stage, "/step_down_check/invoke_stage");
      roles(p_.step_down_check->notify, "/step_down_check/notify");
    }
    if (p_.good_practice_notes) {
      roles(p_.good_practice_notes->to, "/good_practice_notes/to");
      roles(p_.good_practice_notes->exemplary_cc, "/good_practice_notes/exemplary_cc");
    }
    std::set<std::string> ids;
    for (std::size_t i = 0; i < p_.stages.size(); ++i) {
      const Stage& s = p_.stages[i];
      std::string at = json::pointer_append("/stages", i);
      if (!ids.insert(s.id).second) fail(at + "/id", "duplicate stage id '" + s.id + "'");
      roles(s.to, at + "/to");
      roles(s.cc, at + "/cc");
      role(s.response_by, at + "/response/by");
      if (!s.approval_by.empty()) role(s.approval_by, at + "/response/approval_by");
      if (!s.next.empty()) stage_ref(s.next, at + "/next");
      if (s.on_overdue == OnOverdue::escalate && s.next.empty()) {
        fail(at + "/on_overdue", "'escalate' needs a next stage to escalate to");
      }
      if (s.on_overdue == OnOverdue::escalate && !s.response_deadline) {
        fail(at + "/on_overdue", "'escalate' needs a response deadline");
      }
      for (const auto& tr : s.labels_by_track) {
        if (!p_.has_track(tr.first)) fail(at + "/labels_by_track/" + tr.first, "unknown track");
      }
      std::set<std::string> duty_ids;
      for (std::size_t d = 0; d < s.duties.size(); ++d) {
        std::string dat = json::pointer_append(at + "/duties", d);
        role(s.duties[d].owner, dat + "/owner");
        if (!duty_ids.insert(s.duties[d].id).second) fail(dat + "/id", "duplicate duty id");
      }
    }
    acyclic();
  }

 private:
  [[noreturn]] void fail(const std::string& pointer, const std::string& reason) const {
    throw ConfigError(file_, pointer, reason);
  }
  void role(const std::string& r, const std::string& at) const {
    if (!p_.roles.count(r)) fail(at, "unknown role '" + r + "' (not declared in /roles)");
  }
  void roles(const std::vector<std::string>& rs, const std::string& at) const {
    for (std::size_t i = 0; i < rs.size(); ++i) role(rs[i], json::pointer_append(at, i));
  }
  void stage_ref(const std::string& s, const std::string& at) const {
    if (!p_.stage(s)) fail(at, "unknown stage '" + s + "' (no stage with that id)");
  }
  void stages(const std::vector<std::string>& ss, const std::string& at) const {
    for (std::size_t i = 0; i < ss.size(); ++i) stage_ref(ss[i], json::pointer_append(at, i));
  }
  void acyclic() const {
    for (std::size_t i = 0; i < p_.stages.size(); ++i) {
      std::set<std::string> seen{p_.stages[i].id};
      const Stage* s = &p_.stages[i];
      while (!s->next.empty()) {
        if (!seen.insert(s->next).second) {
          fail(json::pointer_append("/stages", i) + "/next",
               "stage route has a cycle through '" + s->next + "'");
        }
        s = p_.stage(s->next);
      }
    }
  }

  const Protocol& p_;
  const std::string& file_;
};

}  // namespace

Protocol load_protocol(const rapidjson::Value& doc, const std::string& file) {
  if (auto v = json::validate("protocol.schema.json", doc)) {
    throw ConfigError(file, v->document_pointer, v->message);
  }
  Protocol p;
  p.id = doc["id"].GetString();
  p.title = doc["title"].GetString();
  p.case_system = str(doc, "case_system", "generic");
  p.time_zone = str(doc, "time_zone", "Europe/London");
  p.calendar_division = str(doc, "calendar_division", "england-and-wales");
  p.working_day_end = time_of_day(str(doc, "working_day_end", "17:00"));
  p.tracks = strings(doc, "tracks");
  p.chair_role = doc["chair_role"].GetString();
  for (auto m = doc["roles"].MemberBegin(); m != doc["roles"].MemberEnd(); ++m) {
    p.roles.emplace(m->name.GetString(), m->value.GetString());
  }
  p.always_cc = strings(doc, "always_cc");
  p.start_stages = strings(doc, "start_stages");
  p.immediate_risk_start_stages = strings(doc, "immediate_risk_start_stages");
  if (doc.HasMember("process_limit")) {
    const auto& l = doc["process_limit"];
    p.process_limit =
        ProcessLimit{l["from_stage"].GetString(), deadline(l["deadline"]), strings(l, "notify")};
  }
  p.dissent_stage = str(doc, "dissent_stage");
  if (doc.HasMember("step_down_check")) {
    const auto& c = doc["step_down_check"];
    p.step_down_check =
        StepDownCheck{deadline(c["after"]), strings(c, "notify"), c["invoke_stage"].GetString()};
  }
  if (doc.HasMember("good_practice_notes")) {
    const auto& g = doc["good_practice_notes"];
    p.good_practice_notes = GoodPracticeNotes{strings(g, "to"), strings(g, "exemplary_cc")};
  }
  for (const auto& s : doc["stages"].GetArray()) p.stages.push_back(stage(s));
  Checker(p, file).run();
  return p;
}

Protocol load_protocol_file(const std::string& path) {
  rapidjson::Document doc = json::parse_file(path);
  return load_protocol(doc, path);
}

}  // namespace crp
