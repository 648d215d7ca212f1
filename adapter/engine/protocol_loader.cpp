#include "adapter/engine/protocol_loader.h"

#include <set>

#include "adapter/engine/fnv1a.h"
#include "adapter/engine/watch/watch_loader.h"
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
  if (d.HasMember("roll_to_working_day"))
    out.roll_to_working_day = d["roll_to_working_day"].GetBool();
  std::string unit = d["unit"].GetString();
  out.unit = unit == "days"    ? DeadlineUnit::days
             : unit == "weeks" ? DeadlineUnit::weeks
                               : DeadlineUnit::working_days;
  return out;
}

LocalTimeOfDay time_of_day(const std::string& hhmm) {
  return LocalTimeOfDay{std::stoi(hhmm.substr(0, 2)) * 60 + std::stoi(hhmm.substr(3, 2))};
}

Duty duty(const rapidjson::Value& d) {
  Duty out;
  out.id = d["id"].GetString();
  out.label = d["label"].GetString();
  out.owner = d["owner"].GetString();
  out.deadline = deadline(d["deadline"]);
  if (str(d, "from") == "meeting_held") out.from = DutyFrom::meeting_held;
  out.tracks = strings(d, "tracks");
  out.survives_stage = d.HasMember("survives_stage") && d["survives_stage"].GetBool();
  return out;
}

ImmediateRiskRule immediate_risk(const rapidjson::Value& o) {
  ImmediateRiskRule out;
  if (!o.HasMember("immediate_risk")) return out;
  const auto& r = o["immediate_risk"];
  out.alert = strings(r, "alert");
  if (r.HasMember("response_deadline")) out.response_deadline = deadline(r["response_deadline"]);
  if (r.HasMember("duties")) {
    for (const auto& d : r["duties"].GetArray()) out.duties.push_back(duty(d));
  }
  return out;
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
    for (const auto& d : s["duties"].GetArray()) out.duties.push_back(duty(d));
  }
  out.decided_by = str(s, "decided_by");
  if (s.HasMember("decide_within")) out.decide_within = deadline(s["decide_within"]);
  if (s.HasMember("reminders"))
    out.remind_working_days_before = s["reminders"]["working_days_before"].GetInt();
  out.earlier_respond_by = r.HasMember("earlier_respond_by") && r["earlier_respond_by"].GetBool();
  out.on_skip_notify = strings(s, "on_skip_notify");
  if (s.HasMember("outcome")) {
    out.outcome_to = strings(s["outcome"], "to");
    out.outcome_prompt = str(s["outcome"], "prompt");
  }
  out.immediate_risk = immediate_risk(s);
  if (s.HasMember("partners")) {
    for (const auto& p : s["partners"].GetArray()) {
      PartnerRoute route{p["route"].GetString(), PartnerWhen::stage_started};
      const std::string when = p.HasMember("when") ? p["when"].GetString() : "stage_started";
      if (when == "immediate_risk") route.when = PartnerWhen::immediate_risk;
      if (when == "closed") route.when = PartnerWhen::closed;
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
    roles(p_.immediate_risk.alert, "/immediate_risk/alert");
    roles(p_.partner_agency.roles, "/partner_agency/roles");
    roles(p_.partner_agency.notify_on_raise, "/partner_agency/notify_on_raise");
    std::set<std::string> route_ids;
    for (std::size_t i = 0; i < p_.routes.size(); ++i) {
      const Route& r = p_.routes[i];
      std::string at = json::pointer_append("/routes", i);
      if (!route_ids.insert(r.id).second) fail(at + "/id", "duplicate route id '" + r.id + "'");
      stages(r.start_stages, at + "/start_stages");
      if (!r.chair_role.empty()) role(r.chair_role, at + "/chair_role");
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
      if (!s.decided_by.empty()) role(s.decided_by, at + "/decided_by");
      roles(s.on_skip_notify, at + "/on_skip_notify");
      roles(s.outcome_to, at + "/outcome/to");
      roles(s.immediate_risk.alert, at + "/immediate_risk/alert");
      std::set<std::string> duty_ids;
      auto check_duties = [&](const std::vector<Duty>& duties, const std::string& base) {
        for (std::size_t d = 0; d < duties.size(); ++d) {
          std::string dat = json::pointer_append(base, d);
          role(duties[d].owner, dat + "/owner");
          if (!duty_ids.insert(duties[d].id).second) fail(dat + "/id", "duplicate duty id");
          for (std::size_t t = 0; t < duties[d].tracks.size(); ++t) {
            if (!p_.has_track(duties[d].tracks[t]))
              fail(json::pointer_append(dat + "/tracks", t), "unknown track");
          }
        }
      };
      check_duties(s.duties, at + "/duties");
      check_duties(s.immediate_risk.duties, at + "/immediate_risk/duties");
      reminder(s, at);
    }
    acyclic();
    migrations();
  }

 private:
  // A stage's own reminder that no response deadline of the stage could ever
  // reach (it would fall on or before the day the stage starts) is a mistake
  // in the file, not a silent no-op.
  void reminder(const Stage& s, const std::string& at) {
    if (!s.remind_working_days_before || *s.remind_working_days_before == 0) return;
    const int before = *s.remind_working_days_before;
    for (const auto* d : {&s.response_deadline, &s.immediate_risk.response_deadline}) {
      if (*d && (*d)->unit == DeadlineUnit::working_days && (*d)->amount <= before) {
        fail(at + "/reminders/working_days_before",
             std::to_string(before) + " working days before a response deadline of " +
                 std::to_string((*d)->amount) + " working days is never reached");
      }
    }
  }

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
  // A migration moves challenges forward, once per older version, into stages that exist.
  void migrations() const {
    std::set<int> from;
    for (std::size_t i = 0; i < p_.migrations.size(); ++i) {
      const Migration& m = p_.migrations[i];
      const std::string at = json::pointer_append("/migrations", i);
      if (m.from_version >= p_.version) {
        fail(at + "/from_version", "a migration comes from an older version than " +
                                       std::to_string(p_.version) + ", not " +
                                       std::to_string(m.from_version));
      }
      if (!from.insert(m.from_version).second)
        fail(at + "/from_version",
             "a second migration from version " + std::to_string(m.from_version));
      for (const auto& [old_stage, stage] : m.stages)
        stage_ref(stage, json::pointer_append(at + "/stages", old_stage));
    }
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
  p.definition_digest = fnv1a64(json::to_string(doc));
  if (doc.HasMember("version")) p.version = doc["version"].GetInt();
  if (doc.HasMember("migrations")) {
    for (const auto& m : doc["migrations"].GetArray()) {
      Migration migration{m["from_version"].GetInt(), {}};
      if (m.HasMember("stages")) {
        for (auto it = m["stages"].MemberBegin(); it != m["stages"].MemberEnd(); ++it)
          migration.stages.emplace(it->name.GetString(), it->value.GetString());
      }
      p.migrations.push_back(std::move(migration));
    }
  }
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
  if (doc.HasMember("partner_agency")) {
    const auto& a = doc["partner_agency"];
    p.partner_agency = PartnerAgencyRule{strings(a, "roles"), strings(a, "notify_on_raise")};
  }
  for (const auto& s : doc["stages"].GetArray()) p.stages.push_back(stage(s));
  if (doc.HasMember("routes")) {
    for (const auto& r : doc["routes"].GetArray()) {
      Route route;
      route.id = r["id"].GetString();
      route.title = r["title"].GetString();
      route.start_stages = strings(r, "start_stages");
      route.chair_role = str(r, "chair_role");
      if (r.HasMember("record_on_child_file"))
        route.record_on_child_file = r["record_on_child_file"].GetBool();
      p.routes.push_back(std::move(route));
    }
  }
  p.immediate_risk = immediate_risk(doc);
  p.report = load_protocol_report(doc, p.stages, file);
  if (doc.HasMember("decide_within")) p.decide_within = deadline(doc["decide_within"]);
  if (doc.HasMember("reminders"))
    p.remind_working_days_before = doc["reminders"]["working_days_before"].GetInt();
  // One switch for every calendar-day and week deadline of the protocol.
  if (doc.HasMember("roll_to_working_day") && !doc["roll_to_working_day"].GetBool()) {
    auto off = [](Deadline& d) { d.roll_to_working_day = false; };
    auto off_opt = [&](std::optional<Deadline>& d) {
      if (d) off(*d);
    };
    off(p.decide_within);
    if (p.process_limit) off(p.process_limit->deadline);
    if (p.step_down_check) off(p.step_down_check->after);
    for (Stage& s : p.stages) {
      off_opt(s.response_deadline);
      off_opt(s.agreed_deadline_max);
      off_opt(s.decide_within);
      off_opt(s.immediate_risk.response_deadline);
      for (Duty& d : s.duties) off(d.deadline);
      for (Duty& d : s.immediate_risk.duties) off(d.deadline);
    }
  }
  Checker(p, file).run();
  load_watch(doc, p, file);
  return p;
}

Deadline parse_deadline(const rapidjson::Value& d) {
  return deadline(d);
}

Protocol load_protocol_file(const std::string& path) {
  rapidjson::Document doc = json::parse_file(path);
  return load_protocol(doc, path);
}

}  // namespace crp
