#include "adapter/app/check_config.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <set>
#include <vector>

#include "adapter/app/changelog_impact.h"
#include "adapter/engine/protocol_loader.h"
#include "adapter/json/json.h"
#include "adapter/json/schema_registry.h"
#include "adapter/runtime/service_config.h"
#include "connectors/email/notify_email.h"
#include "connectors/webhooks/partner.h"

namespace crp::cli {
namespace {

using json::ConfigError;

// The problems found so far; each check adds to it and carries on.
class Problems {
 public:
  void add(const std::string& text) { lines_.push_back(text); }
  void add(const ConfigError& e) { add(e.what()); }
  bool empty() const { return lines_.empty(); }
  std::size_t size() const { return lines_.size(); }
  void print(std::ostream& err) const {
    for (const std::string& l : lines_) err << "crp-adapter: configuration error: " << l << "\n";
  }

 private:
  std::vector<std::string> lines_;
};

// Runs one independent check; a ConfigError (or any other failure) is one problem.
template <typename F>
void attempt(Problems& problems, const std::string& what, F&& check) {
  try {
    check();
  } catch (const ConfigError& e) {
    problems.add(e);
  } catch (const std::exception& e) {
    problems.add(what + ": " + e.what());
  }
}

std::string relative_to(const std::filesystem::path& base, const std::string& p) {
  const std::filesystem::path path(p);
  return (path.is_absolute() ? path : base / path).lexically_normal().string();
}

// The files the service config names that can be checked on their own: every protocol,
// every partner (with its signing keys unless offline), every Kafka secret (unless
// offline). load_service_config stops at the first of these that fails; here each is
// tried, so an operator sees all of them at once.
void check_files(const rapidjson::Document& doc, const std::string& path, bool offline,
                 Problems& problems) {
  const std::filesystem::path base = std::filesystem::path(path).parent_path();
  const auto& protocols = doc["protocols"];
  for (rapidjson::SizeType i = 0; i < protocols.Size(); ++i) {
    const std::string file = relative_to(base, protocols[i].GetString());
    attempt(problems, file, [&] { load_protocol_file(file); });
  }
  if (doc.HasMember("webhooks") && doc["webhooks"].HasMember("partners")) {
    const std::string dir = relative_to(base, doc["webhooks"]["partners"].GetString());
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      problems.add(ConfigError(dir, "", "partner directory does not exist"));
    } else {
      std::vector<std::string> files;
      for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.is_regular_file() && entry.path().extension() == ".json")
          files.push_back(entry.path().string());
      }
      std::sort(files.begin(), files.end());
      for (const std::string& file : files)
        attempt(problems, file, [&] { webhooks::load_partner_file(file, !offline); });
    }
  }
  if (offline || !doc.HasMember("kafka")) return;
  for (auto m = doc["kafka"].MemberBegin(); m != doc["kafka"].MemberEnd(); ++m) {
    if (!m->value.IsObject()) continue;
    const std::string at = json::pointer_append("/kafka", m->name.GetString());
    if (m->value.HasMember("file")) {
      const std::string file = relative_to(base, m->value["file"].GetString());
      attempt(problems, file, [&] {
        try {
          json::read_file(file);
        } catch (const ConfigError& e) {
          throw ConfigError(path, at, "cannot read the secret file " + file);
        }
      });
    } else if (m->value.HasMember("env") && !std::getenv(m->value["env"].GetString())) {
      problems.add(ConfigError(
          path, at,
          std::string("environment variable ") + m->value["env"].GetString() + " is not set"));
    }
  }
}

// Every role a protocol declares (the loader refuses a role used but not declared) must
// have a mailbox. A challenge's team comes from the case system and may be any team: the
// directory looks up the team, then its locality, then the default, so a role that
// resolves for a team the directory does not list resolves for every team. A partner
// agency's roles (docs/decisions/0042) resolve for a partner's challenge from that agency's
// entry only: each agency the directory lists must have them all; an agency it does not
// list gets its addresses from the events' contacts or is dead-lettered, so that is a
// warning. Contacts on events come first at run time, but a challenge may carry none.
void check_roles(const ServiceConfig& config, Problems& problems, std::ostream& err) {
  const std::set<std::string> listed = config.email.directory.agency_codes();
  std::set<std::string> unlisted_warned;
  auto list = [](const std::vector<std::string>& roles) {
    std::string text;
    for (const std::string& r : roles) text += (text.empty() ? "'" : ", '") + r + "'";
    return text;
  };
  for (const auto& [id, runtime] : config.protocols->all()) {
    const Protocol& p = runtime.protocol;
    std::vector<std::string> missing;
    std::map<std::string, std::vector<std::string>> missing_by_agency;
    bool has_agency_roles = false;
    for (const auto& [role, title] : p.roles) {
      // The council's own challenges (agency local_authority) address every role here.
      if (!config.email.directory.resolve(role, "", "")) missing.push_back(role);
      if (!p.partner_agency.is_agency_role(role)) continue;
      has_agency_roles = true;
      for (const std::string& agency : listed) {
        if (!config.email.directory.resolve_for_agency(role, agency, ""))
          missing_by_agency[agency].push_back(role);
      }
    }
    if (!missing.empty()) {
      problems.add("protocol " + id + ": role" + (missing.size() == 1 ? " " : "s ") +
                   list(missing) +
                   " resolve to no mailbox for a team the role directory does not list: add " +
                   (missing.size() == 1 ? "it" : "them") + " to the directory's default");
    }
    for (const auto& [agency, roles] : missing_by_agency) {
      problems.add("protocol " + id + ": partner agency '" + agency + "' has no mailbox for " +
                   list(roles) + " in the role directory (agencies." + agency + ")");
    }
    if (!has_agency_roles) continue;
    for (const std::string& code : config.agencies.codes()) {
      if (!AgencyCodes::is_partner(code) || listed.count(code) ||
          !unlisted_warned.insert(code).second)
        continue;
      err << "crp-adapter: warning: the role directory has no entry for partner agency '" << code
          << "': its roles are addressed only from the contacts on a challenge's events, "
             "else dead-lettered (crp.UnresolvedRecipient)\n";
    }
  }
}

// The email kinds (template keys) the engine emits at a stage of this protocol. Kinds a
// protocol cannot emit (no duties, no step-down check...) need no template.
std::vector<std::string> kinds_at(const Protocol& p, const Stage& s) {
  // deadline_changed: any open deadline can move when the calendar changes (decision 0060).
  std::vector<std::string> kinds{"stage_started", "response_overdue", "decision_overdue",
                                 "challenge_closed", "deadline_changed"};
  if (!s.duties.empty() || !s.immediate_risk.duties.empty()) kinds.push_back("duty_overdue");
  if (!s.on_skip_notify.empty()) kinds.push_back("stage_skip_notice");
  if (!s.outcome_prompt.empty()) kinds.push_back("next_steps");
  if (!p.immediate_risk.alert.empty() || !s.immediate_risk.alert.empty())
    kinds.push_back("immediate_risk_alert");
  if (p.process_limit) kinds.push_back("process_overdue");
  if (p.step_down_check) kinds.push_back("step_down_check_due");
  // Reminders before deadlines (decision 0056), unless turned off for the stage.
  if (p.remind_working_days_before_for(s) > 0) {
    if (s.response_deadline || s.agreed_deadline_max || s.immediate_risk.response_deadline)
      kinds.push_back("response_due_soon");
    if (!s.duties.empty() || !s.immediate_risk.duties.empty()) kinds.push_back("duty_due_soon");
  }
  return kinds;
}

// Every email the protocols can emit needs a GOV.UK Notify template id, looked up as the
// email sink does ("protocol.stage.kind", "protocol.kind", "kind"): without one the record
// carries a "crp:<kind>" placeholder that Notify refuses.
void check_templates(const ServiceConfig& config, Problems& problems) {
  const std::string placeholder = "crp:";
  for (const auto& [id, runtime] : config.protocols->all()) {
    const Protocol& p = runtime.protocol;
    std::map<std::string, std::vector<std::string>> missing;  // kind -> stages
    for (const Stage& s : p.stages) {
      for (const std::string& kind : kinds_at(p, s)) {
        if (connectors::email::template_id(config.email, id, s.id, kind).starts_with(placeholder))
          missing[kind].push_back(s.id);
      }
    }
    auto need = [&](bool emits, const char* kind) {
      if (emits &&
          connectors::email::template_id(config.email, id, "", kind).starts_with(placeholder))
        missing[kind];
    };
    need(p.good_practice_notes.has_value(), "good_practice_note");
    need(!p.watch.rules.empty(), "watch_suggestion");
    need(p.watch.pre_conference_summary.has_value(), "pre_conference_summary");
    for (const auto& [kind, stages] : missing) {
      std::string where;
      for (const std::string& s : stages) where += (where.empty() ? "" : ", ") + s;
      problems.add(ConfigError(config.file, "/email/templates",
                               "protocol " + id + " can send '" + kind + "' emails" +
                                   (where.empty() ? "" : " (stage " + where + ")") +
                                   " but no template id is configured: add \"" + kind + "\" or \"" +
                                   id + "." + kind + "\"")
                       .what());
    }
  }
}

}  // namespace

int check_config(const CheckConfigOptions& options, std::ostream& out, std::ostream& err) {
  Problems problems;
  const std::string& path = options.config_file;
  // The service config itself first: without a valid one nothing else can be found.
  rapidjson::Document doc;
  try {
    doc = json::parse_file(path);
    if (auto v = json::validate("service-config.schema.json", doc))
      throw ConfigError(path, v->document_pointer, v->message);
  } catch (const ConfigError& e) {
    problems.add(e);
    problems.print(err);
    return 3;
  }
  check_files(doc, path, options.offline, problems);
  std::optional<ServiceConfig> config;
  if (problems.empty()) {
    // Then what spans files (calendar divisions, connectors, template keys, the directory),
    // which stops at its first error.
    attempt(problems, path, [&] { config = load_service_config(path, Secrets::offline); });
  }
  if (config) {
    check_roles(*config, problems, err);
    check_templates(*config, problems);
    // A warning, not a failure: the statutory rules carry on past the published data.
    for (const auto& c : calendars_running_out(*config, options.now))
      err << "crp-adapter: warning: " << describe(c, config->calendar_file) << "\n";
  }
  if (config && problems.empty() && options.changelog) {
    attempt(problems, path, [&] {
      // The brokers' credentials are secrets: read them, unless told not to.
      const ServiceConfig kafka = options.offline ? *config : load_service_config(path);
      const ChangelogImpact impact = changelog_impact(kafka, out);
      if (impact.quarantined > 0) {
        problems.add(std::to_string(impact.quarantined) + " open challenge" +
                     (impact.quarantined == 1 ? "" : "s") +
                     " in the changelog would be quarantined (listed above): load the protocol "
                     "version they run under, or declare a migration for their stage");
      }
    });
  }
  if (!problems.empty()) {
    problems.print(err);
    err << "crp-adapter: check-config: " << problems.size() << " problem"
        << (problems.size() == 1 ? "" : "s") << " in " << path << "\n";
    return 3;
  }
  out << "ok: " << config->protocols->all().size() << " protocols"
      << (options.offline ? " (offline: no secret was read)" : "") << "\n";
  return 0;
}

}  // namespace crp::cli
