#include "adapter/runtime/service_config.h"

#include <cstdlib>
#include <filesystem>

#include "adapter/engine/protocol_loader.h"
#include "adapter/json/json.h"
#include "adapter/json/schema_registry.h"

namespace crp {
namespace {

using json::ConfigError;

std::string resolve(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path path(p);
  return (path.is_absolute() ? path : base / path).lexically_normal().string();
}

void read_strings(const rapidjson::Value& o, std::map<std::string, std::string>& into) {
  for (auto m = o.MemberBegin(); m != o.MemberEnd(); ++m) into[m->name.GetString()] = m->value.GetString();
}

}  // namespace

ServiceConfig load_service_config(const std::string& path) {
  rapidjson::Document doc = json::parse_file(path);
  if (auto v = json::validate("service-config.schema.json", doc)) {
    throw ConfigError(path, v->document_pointer, v->message);
  }
  const std::filesystem::path base = std::filesystem::path(path).parent_path();
  ServiceConfig c;
  c.file = path;
  c.source = doc["service"]["source"].GetString();

  std::string calendar_file = resolve(base, doc["calendar"]["file"].GetString());
  std::string calendar_text = json::read_file(calendar_file);
  std::map<std::string, std::shared_ptr<const WorkingCalendar>> calendars;  // by division + zone

  auto protocols = std::make_shared<ProtocolSet>();
  const auto& list = doc["protocols"];
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    std::string file = resolve(base, list[i].GetString());
    Protocol p = load_protocol_file(file);
    if (protocols->find(p.id)) {
      throw ConfigError(path, json::pointer_append("/protocols", i), "protocol id '" + p.id + "' loaded twice");
    }
    std::string key = p.calendar_division + "|" + p.time_zone;
    auto& cal = calendars[key];
    if (!cal) {
      try {
        cal = std::make_shared<WorkingCalendar>(calendar_text, p.calendar_division, p.time_zone);
      } catch (const std::exception& e) {
        throw ConfigError(calendar_file, "/" + p.calendar_division, e.what());
      }
    }
    protocols->add(std::move(p), cal);
  }
  c.protocols = protocols;

  for (rapidjson::SizeType i = 0; i < doc["inputs"].Size(); ++i) {
    const rapidjson::Value& in = doc["inputs"][i];
    const std::string connector = in["connector"].GetString();
    c.inputs.push_back({in["topic"].GetString(), connector,
                        connectors::make_source(connector, in, path, "/inputs/" + std::to_string(i))});
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
  }
  if (doc.HasMember("email")) {
    const auto& e = doc["email"];
    if (e.HasMember("templates")) read_strings(e["templates"], c.email_templates);
    if (e.HasMember("case_link")) c.case_link = e["case_link"].GetString();
  }
  if (doc.HasMember("directory") && doc["directory"].HasMember("roles")) {
    read_strings(doc["directory"]["roles"], c.role_emails);
  }
  if (doc.HasMember("kafka")) {
    for (auto m = doc["kafka"].MemberBegin(); m != doc["kafka"].MemberEnd(); ++m) {
      std::string key = m->name.GetString();
      std::string at = json::pointer_append("/kafka", key);
      if (m->value.IsString()) {
        c.kafka[key] = m->value.GetString();
      } else if (m->value.HasMember("file")) {
        std::string secret = json::read_file(resolve(base, m->value["file"].GetString()));
        while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
        c.kafka[key] = secret;
      } else {
        const char* value = std::getenv(m->value["env"].GetString());
        if (!value) throw ConfigError(path, at, std::string("environment variable ") + m->value["env"].GetString() + " is not set");
        c.kafka[key] = value;
      }
    }
  }
  if (doc.HasMember("runtime")) {
    const auto& r = doc["runtime"];
    if (r.HasMember("commit_interval_ms")) c.commit_interval_ms = r["commit_interval_ms"].GetInt();
    if (r.HasMember("max_batch")) c.max_batch = r["max_batch"].GetInt();
    if (r.HasMember("create_topics")) c.create_topics = r["create_topics"].GetBool();
    if (r.HasMember("group_id")) c.group_id = r["group_id"].GetString();
    if (r.HasMember("transactional_id_prefix")) c.transactional_id_prefix = r["transactional_id_prefix"].GetString();
    if (r.HasMember("clock")) c.event_clock = std::string(r["clock"].GetString()) == "event";
  }
  return c;
}

}  // namespace crp
