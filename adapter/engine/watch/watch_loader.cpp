#include "adapter/engine/watch/watch_loader.h"

#include <set>

#include "adapter/engine/protocol_loader.h"
#include "adapter/json/json.h"

namespace crp {
namespace {

std::vector<std::string> strings(const rapidjson::Value& o, const char* key) {
  std::vector<std::string> out;
  if (!o.HasMember(key)) return out;
  for (const auto& v : o[key].GetArray()) out.emplace_back(v.GetString());
  return out;
}

class WatchChecker {
 public:
  WatchChecker(const Protocol& p, const std::string& file) : p_(p), file_(file) {}

  [[noreturn]] void fail(const std::string& pointer, const std::string& reason) const {
    throw json::ConfigError(file_, pointer, reason);
  }
  void roles(const std::vector<std::string>& rs, const std::string& at) const {
    for (std::size_t i = 0; i < rs.size(); ++i) {
      if (!p_.roles.count(rs[i]))
        fail(json::pointer_append(at, i), "unknown role '" + rs[i] + "' (not declared in /roles)");
    }
  }
  void rule(const WatchRule& r, const std::string& at) const {
    if (!p_.stage(r.suggest_stage))
      fail(at + "/suggest_stage",
           "unknown stage '" + r.suggest_stage + "' (no stage with that id)");
    roles(r.notify, at + "/notify");
    switch (r.kind) {
      case WatchRuleKind::before_conference:
        if (r.before.empty()) fail(at + "/before", "a before_conference rule needs 'before'");
        if (r.activity == "core_group.held" || r.activity == "child.seen" ||
            r.activity == "conference.cancelled")
          fail(at + "/activity", "'" + r.activity + "' is not recorded for one conference");
        break;
      case WatchRuleKind::recurring:
        if (!r.every) fail(at + "/every", "a recurring rule needs 'every'");
        if (r.activity != "core_group.held" && r.activity != "child.seen")
          fail(at + "/activity", "a recurring rule counts core_group.held or child.seen");
        break;
      case WatchRuleKind::on_activity:
        if (r.activity != "conference.cancelled")
          fail(at + "/activity", "an on_activity rule is breached by conference.cancelled");
        break;
    }
  }

 private:
  const Protocol& p_;
  const std::string& file_;
};

}  // namespace

void load_watch(const rapidjson::Value& doc, Protocol& p, const std::string& file) {
  if (!doc.HasMember("watch")) return;
  const auto& w = doc["watch"];
  WatchChecker check(p, file);
  WatchConfig& out = p.watch;
  out.notify = strings(w, "notify");
  check.roles(out.notify, "/watch/notify");
  std::set<std::string> ids;
  if (w.HasMember("rules")) {
    const auto& rules = w["rules"].GetArray();
    for (rapidjson::SizeType i = 0; i < rules.Size(); ++i) {
      const auto& r = rules[i];
      const std::string at = json::pointer_append("/watch/rules", i);
      WatchRule rule;
      rule.id = r["id"].GetString();
      rule.label = r["label"].GetString();
      const std::string kind = r["kind"].GetString();
      rule.kind = kind == "before_conference" ? WatchRuleKind::before_conference
                  : kind == "recurring"       ? WatchRuleKind::recurring
                                              : WatchRuleKind::on_activity;
      rule.activity = r["activity"].GetString();
      if (r.HasMember("before")) {
        for (auto m = r["before"].MemberBegin(); m != r["before"].MemberEnd(); ++m)
          rule.before.emplace(m->name.GetString(), parse_deadline(m->value));
      }
      if (r.HasMember("first_within")) rule.first_within = parse_deadline(r["first_within"]);
      if (r.HasMember("every")) rule.every = parse_deadline(r["every"]);
      if (r.HasMember("only_if")) rule.only_if = r["only_if"].GetString();
      rule.suggest_stage = r["suggest_stage"].GetString();
      rule.notify = strings(r, "notify");
      rule.case_note = r.HasMember("case_note") && r["case_note"].GetBool();
      if (!ids.insert(rule.id).second)
        check.fail(at + "/id", "duplicate rule id '" + rule.id + "'");
      check.rule(rule, at);
      out.rules.push_back(std::move(rule));
    }
  }
  if (w.HasMember("pre_conference_summary")) {
    const auto& s = w["pre_conference_summary"];
    PreConferenceSummary summary;
    summary.before = parse_deadline(s["before"]);
    summary.to = strings(s, "to");
    summary.cc = strings(s, "cc");
    summary.checks = strings(s, "checks");
    summary.reminders = strings(s, "reminders");
    check.roles(summary.to, "/watch/pre_conference_summary/to");
    check.roles(summary.cc, "/watch/pre_conference_summary/cc");
    for (std::size_t i = 0; i < summary.checks.size(); ++i) {
      const WatchRule* r = out.rule(summary.checks[i]);
      if (!r || r->kind != WatchRuleKind::before_conference)
        check.fail(json::pointer_append("/watch/pre_conference_summary/checks", i),
                   "'" + summary.checks[i] + "' is not a before_conference rule of this protocol");
    }
    out.pre_conference_summary = std::move(summary);
  }
}

}  // namespace crp
