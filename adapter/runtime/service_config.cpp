#include "adapter/runtime/service_config.h"

#include <cstdlib>
#include <filesystem>

#include "adapter/core/secret.h"
#include "adapter/engine/protocol_loader.h"
#include "adapter/json/json.h"
#include "adapter/json/schema_registry.h"
#include "connectors/notify/notify_jwt.h"

namespace crp {
namespace {

using json::ConfigError;

std::string resolve(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path path(p);
  return (path.is_absolute() ? path : base / path).lexically_normal().string();
}

void read_strings(const rapidjson::Value& o, std::map<std::string, std::string>& into) {
  for (auto m = o.MemberBegin(); m != o.MemberEnd(); ++m)
    into[m->name.GetString()] = m->value.GetString();
}

// "HOST:PORT" or "[V6]:PORT"; the schema checks the shape, this the numbers.
void read_admin(const std::string& path, const std::filesystem::path& base,
                const rapidjson::Value& a, AdminSettings& into) {
  into.enabled = true;
  if (a.HasMember("bind")) {
    const std::string bind = a["bind"].GetString();
    const auto colon = bind.rfind(':');
    std::string host = colon == std::string::npos ? "" : bind.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    const std::string port = colon == std::string::npos ? "" : bind.substr(colon + 1);
    char* end = nullptr;
    const long number = port.empty() ? -1 : std::strtol(port.c_str(), &end, 10);
    if (host.empty() || number < 0 || number > 65535 || *end != '\0') {
      throw ConfigError(path, "/admin/bind",
                        "'" + bind + "' is not HOST:PORT with a port from 0 to 65535");
    }
    into.host = host;
    into.port = static_cast<std::uint16_t>(number);
  }
  if (a.HasMember("token_file")) into.token_file = resolve(base, a["token_file"].GetString());
  if (a.HasMember("max_request_bytes")) into.max_request_bytes = a["max_request_bytes"].GetUint();
  if (a.HasMember("rate_limit_per_s")) into.rate_limit_per_s = a["rate_limit_per_s"].GetInt();
}

// The `notify` block (docs/decisions/0049). With `check` the secrets are read
// now (check-config, run), so a bad key stops the service before it starts.
void read_notify(const std::string& path, const std::filesystem::path& base,
                 const rapidjson::Value& n, bool check, NotifyConfig& into) {
  notify::NotifySettings& s = into.sender;
  s.enabled = true;
  if (n.HasMember("base_url")) s.base_url = n["base_url"].GetString();
  while (s.base_url.ends_with('/')) s.base_url.pop_back();
  std::string error;
  auto endpoint = webhooks::parse_endpoint(s.base_url + notify::kEmailPath, error);
  if (!endpoint || endpoint->scheme != "https")
    throw ConfigError(path, "/notify/base_url",
                      endpoint ? "GOV.UK Notify is only called over https" : error);
  s.endpoint = *endpoint;
  if (n.HasMember("rate_limit_per_minute"))
    s.rate_limit_per_minute = n["rate_limit_per_minute"].GetInt();
  if (n.HasMember("timeout_ms")) s.timeout = std::chrono::milliseconds(n["timeout_ms"].GetInt());
  if (n.HasMember("ca_file")) s.ca_file = resolve(base, n["ca_file"].GetString());
  if (n.HasMember("fallback_email")) s.fallback_email = n["fallback_email"].GetString();
  if (n.HasMember("service_id")) s.service_id = n["service_id"].GetString();
  if (n.HasMember("pending_topic")) s.pending_topic = n["pending_topic"].GetString();
  into.api_key = SecretSource::from_json(n["api_key"], base);
  if (n.HasMember("callback_token"))
    into.callback_token = SecretSource::from_json(n["callback_token"], base);
  if (!check) return;
  const Secret key = read_secret(into.api_key, path, "/notify/api_key");
  std::optional<notify::ApiKey> parsed = notify::parse_api_key(key.view(), error);
  if (!parsed) throw ConfigError(path, "/notify/api_key", error);
  if (!s.service_id.empty() && parsed->service_id != s.service_id)
    throw ConfigError(path, "/notify/api_key",
                      "the API key is for another GOV.UK Notify service than notify.service_id");
  if (into.callback_token) {
    const Secret token = read_secret(*into.callback_token, path, "/notify/callback_token");
    if (token.size() < 16)
      throw ConfigError(path, "/notify/callback_token",
                        "the Notify callback token must be at least 16 characters");
  }
}

// `directory.file` (schemas/directory.schema.json), then the inline `roles`
// as extra defaults; template keys checked against the loaded protocols.
void load_directory(const rapidjson::Value& d, const std::filesystem::path& base,
                    ServiceConfig& c) {
  if (d.HasMember("file")) {
    std::string file = resolve(base, d["file"].GetString());
    rapidjson::Document dir = json::parse_file(file);
    if (auto v = json::validate("directory.schema.json", dir))
      throw ConfigError(file, v->document_pointer, v->message);
    c.email.directory = connectors::email::RoleDirectory::from_json(dir, file);
  }
  if (d.HasMember("roles")) {
    std::map<std::string, std::string> roles;
    read_strings(d["roles"], roles);
    c.email.directory.add_defaults(roles);
  }
}

// "kind", "protocol.kind" or "protocol.stage.kind": a template for a protocol
// or stage that is not loaded would silently never be used.
void check_template_keys(const rapidjson::Value& templates, const std::string& path,
                         const ProtocolSet& protocols) {
  for (auto m = templates.MemberBegin(); m != templates.MemberEnd(); ++m) {
    std::string key = m->name.GetString();
    std::string at = json::pointer_append("/email/templates", key);
    auto first = key.find('.');
    if (first == std::string::npos) continue;
    const ProtocolRuntime* rt = protocols.find(key.substr(0, first));
    if (!rt) throw ConfigError(path, at, "no loaded protocol '" + key.substr(0, first) + "'");
    auto second = key.find('.', first + 1);
    if (second == std::string::npos) continue;
    std::string stage = key.substr(first + 1, second - first - 1);
    if (!rt->protocol.stage(stage)) {
      throw ConfigError(path, at, "protocol " + rt->protocol.id + " has no stage '" + stage + "'");
    }
  }
}

}  // namespace

std::vector<CalendarRunningOut> calendars_running_out(const ServiceConfig& config, Instant now) {
  constexpr std::chrono::days kYear{365};
  std::map<std::string, CalendarRunningOut> by_division;  // one calendar per division and zone
  for (const auto& [id, runtime] : config.protocols->all()) {
    const WorkingCalendar& cal = *runtime.calendar;
    const std::chrono::days left = cal.published_days_left(now);
    if (left >= kYear) continue;
    auto [it, added] = by_division.try_emplace(
        cal.division(), CalendarRunningOut{cal.division(), cal.published_until(), left});
    if (!added && left < it->second.days_left) it->second.days_left = left;
  }
  std::vector<CalendarRunningOut> out;
  for (auto& [division, c] : by_division) out.push_back(std::move(c));
  return out;
}

std::string describe(const CalendarRunningOut& c, const std::string& calendar_file) {
  const std::string until = format_iso8601(Instant{c.published_until}).substr(0, 10);
  const auto n = c.days_left.count();
  std::string when = n >= 0 ? std::to_string(n) + " day" + (n == 1 ? "" : "s") + " from today"
                            : std::to_string(-n) + " day" + (n == -1 ? "" : "s") + " ago";
  return "bank holidays for '" + c.division + "' are published only until " + until + " (" + when +
         "); later deadlines use the statutory holidays, provisional and blind to " +
         "one-off holidays: update " + calendar_file +
         " from https://www.gov.uk/bank-holidays.json";
}

namespace {

// One calendar per division and time zone, shared by the protocols using it.
std::shared_ptr<const WorkingCalendar> calendar_for(
    std::map<std::string, std::shared_ptr<const WorkingCalendar>>& calendars,
    std::string_view calendar_text, const std::string& calendar_file, const Protocol& p) {
  auto& cal = calendars[p.calendar_division + "|" + p.time_zone];
  if (!cal) {
    try {
      cal = std::make_shared<WorkingCalendar>(calendar_text, p.calendar_division, p.time_zone);
    } catch (const std::exception& e) {
      throw ConfigError(calendar_file, "/" + p.calendar_division, e.what());
    }
  }
  return cal;
}

}  // namespace

std::shared_ptr<const ProtocolSet> with_calendar(const ProtocolSet& current,
                                                 std::string_view calendar_text,
                                                 const std::string& calendar_file) {
  std::map<std::string, std::shared_ptr<const WorkingCalendar>> calendars;
  auto next = std::make_shared<ProtocolSet>();
  current.for_each_version([&](const ProtocolRuntime& runtime) {
    next->add(runtime.protocol,
              calendar_for(calendars, calendar_text, calendar_file, runtime.protocol));
  });
  return next;
}

ServiceConfig load_service_config(const std::string& path, Secrets secrets) {
  rapidjson::Document doc = json::parse_file(path);
  if (auto v = json::validate("service-config.schema.json", doc)) {
    throw ConfigError(path, v->document_pointer, v->message);
  }
  const std::filesystem::path base = std::filesystem::path(path).parent_path();
  ServiceConfig c;
  c.file = path;
  c.source = doc["service"]["source"].GetString();

  std::string calendar_file = resolve(base, doc["calendar"]["file"].GetString());
  c.calendar_file = calendar_file;
  std::string calendar_text = json::read_file(calendar_file);
  std::map<std::string, std::shared_ptr<const WorkingCalendar>> calendars;  // by division + zone

  auto protocols = std::make_shared<ProtocolSet>();
  const auto& list = doc["protocols"];
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    std::string file = resolve(base, list[i].GetString());
    Protocol p = load_protocol_file(file);
    if (protocols->find(p.id, p.version)) {
      throw ConfigError(
          path, json::pointer_append("/protocols", i),
          "protocol '" + p.id + "' version " + std::to_string(p.version) + " loaded twice");
    }
    auto cal = calendar_for(calendars, calendar_text, calendar_file, p);
    protocols->add(std::move(p), std::move(cal));
  }
  c.protocols = protocols;
  c.calendar_text = std::move(calendar_text);

  for (rapidjson::SizeType i = 0; i < doc["inputs"].Size(); ++i) {
    const rapidjson::Value& in = doc["inputs"][i];
    const std::string connector = in["connector"].GetString();
    c.inputs.push_back(
        {in["topic"].GetString(), connector,
         connectors::make_source(connector, in, path, "/inputs/" + std::to_string(i), protocols)});
  }
  if (doc.HasMember("topics")) {
    const auto& t = doc["topics"];
    auto set = [&](const char* k, std::string& field) {
      if (t.HasMember(k)) field = t[k].GetString();
    };
    set("escalations", c.topics.escalations);
    set("email", c.topics.email);
    set("casenotes", c.topics.casenotes);
    set("partner_outbox", c.topics.partner_outbox);
    set("dlq", c.topics.dlq);
    set("changelog", c.topics.changelog);
    set("facts", c.topics.facts);
  }
  if (doc.HasMember("webhooks")) {
    const auto& w = doc["webhooks"];
    if (w.HasMember("partners")) {
      c.webhooks.partners_dir = resolve(base, w["partners"].GetString());
      c.webhooks.partners = std::make_shared<const webhooks::PartnerRegistry>(
          webhooks::load_partners(c.webhooks.partners_dir, secrets == Secrets::resolve));
    }
    if (w.HasMember("pending_topic")) c.webhooks.pending_topic = w["pending_topic"].GetString();
    if (w.HasMember("operations_topic"))
      c.webhooks.operations_topic = w["operations_topic"].GetString();
    if (w.HasMember("enabled")) c.webhooks.enabled = w["enabled"].GetBool();
  }
  if (doc.HasMember("notify"))
    read_notify(path, base, doc["notify"], secrets == Secrets::resolve, c.notify);
  if (doc.HasMember("email")) {
    const auto& e = doc["email"];
    if (e.HasMember("templates")) {
      check_template_keys(e["templates"], path, *protocols);
      read_strings(e["templates"], c.email.templates);
    }
    if (e.HasMember("case_link")) c.email.case_link = e["case_link"].GetString();
  }
  if (doc.HasMember("directory")) load_directory(doc["directory"], base, c);
  if (doc.HasMember("agencies")) {
    std::string file = resolve(base, doc["agencies"]["file"].GetString());
    rapidjson::Document table = json::parse_file(file);
    if (auto v = json::validate("agencies.schema.json", table))
      throw ConfigError(file, v->document_pointer, v->message);
    c.agencies = AgencyCodes::from_json(table, file);
  }
  if (doc.HasMember("kafka")) {
    for (auto m = doc["kafka"].MemberBegin(); m != doc["kafka"].MemberEnd(); ++m) {
      std::string key = m->name.GetString();
      std::string at = json::pointer_append("/kafka", key);
      if (m->value.IsString()) {
        c.kafka[key] = m->value.GetString();
      } else if (secrets == Secrets::offline) {
        continue;
      } else {
        // librdkafka builds clients from this map at every rebalance, so the
        // value stays here; the read buffer is wiped (docs/decisions/0043).
        const Secret secret = read_secret(SecretSource::from_json(m->value, base), path, at);
        c.kafka[key] = secret.str();
      }
    }
  }
  if (doc.HasMember("admin")) read_admin(path, base, doc["admin"], c.admin);
  if (doc.HasMember("runtime")) {
    const auto& r = doc["runtime"];
    if (r.HasMember("commit_interval_ms")) c.commit_interval_ms = r["commit_interval_ms"].GetInt();
    if (r.HasMember("closed_retention_days"))
      c.closed_retention = std::chrono::hours(24 * r["closed_retention_days"].GetInt());
    if (r.HasMember("max_batch")) c.max_batch = r["max_batch"].GetInt();
    if (r.HasMember("commit"))
      c.adaptive_commit = std::string(r["commit"].GetString()) != "interval";
    if (r.HasMember("create_topics")) c.create_topics = r["create_topics"].GetBool();
    if (r.HasMember("group_id")) c.group_id = r["group_id"].GetString();
    if (r.HasMember("transactional_id_prefix"))
      c.transactional_id_prefix = r["transactional_id_prefix"].GetString();
    if (r.HasMember("clock")) c.event_clock = std::string(r["clock"].GetString()) == "event";
    if (r.HasMember("memory_limit_mib")) c.memory_limit_mib = r["memory_limit_mib"].GetUint64();
    if (r.HasMember("dead_letter_retention_days"))
      c.dead_letter_retention = std::chrono::hours(24 * r["dead_letter_retention_days"].GetInt());
  }
  if (doc.HasMember("limits")) {
    const auto& l = doc["limits"];
    if (l.HasMember("max_record_bytes"))
      c.record_limits.max_bytes = l["max_record_bytes"].GetUint();
    if (l.HasMember("max_depth")) c.record_limits.max_depth = l["max_depth"].GetUint();
  }
  // Every record read from here on (connectors, replay) uses these.
  json::set_record_limits(c.record_limits);
  return c;
}

}  // namespace crp
