#include "connectors/email/role_directory.h"

#include "adapter/json/json.h"

namespace crp::connectors::email {
namespace {

bool is_role_key(const std::string& key) {
  if (key.empty() || key.front() < 'a' || key.front() > 'z') return false;
  for (char ch : key) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
  }
  return true;
}

RoleDirectory::Mailboxes read_mailboxes(const rapidjson::Value& o, const std::string& file,
                                        const std::string& at) {
  RoleDirectory::Mailboxes out;
  for (auto m = o.MemberBegin(); m != o.MemberEnd(); ++m) {
    std::string role(m->name.GetString(), m->name.GetStringLength());
    if (!is_role_key(role)) {
      throw json::ConfigError(file, json::pointer_append(at, role),
                              "role keys are lower_snake_case");
    }
    out.emplace(role, m->value.GetString());
  }
  return out;
}

}  // namespace

RoleDirectory RoleDirectory::from_json(const rapidjson::Value& doc, const std::string& file) {
  RoleDirectory d;
  d.default_ = read_mailboxes(doc["default"], file, "/default");
  if (doc.HasMember("localities")) {
    for (auto m = doc["localities"].MemberBegin(); m != doc["localities"].MemberEnd(); ++m) {
      std::string name = m->name.GetString();
      d.localities_.emplace(
          name, read_mailboxes(m->value, file, json::pointer_append("/localities", name)));
    }
  }
  if (doc.HasMember("teams")) {
    for (auto m = doc["teams"].MemberBegin(); m != doc["teams"].MemberEnd(); ++m) {
      std::string name = m->name.GetString();
      std::string at = json::pointer_append("/teams", name);
      Team t;
      if (m->value.HasMember("locality")) {
        t.locality = m->value["locality"].GetString();
        if (!d.localities_.count(t.locality)) {
          throw json::ConfigError(file, at + "/locality",
                                  "locality '" + t.locality + "' is not under /localities");
        }
      }
      if (m->value.HasMember("roles"))
        t.roles = read_mailboxes(m->value["roles"], file, at + "/roles");
      d.teams_.emplace(name, std::move(t));
    }
  }
  return d;
}

void RoleDirectory::add_defaults(const Mailboxes& roles) {
  for (const auto& [role, address] : roles) default_.insert_or_assign(role, address);
}

std::optional<std::string> RoleDirectory::resolve(const std::string& role, const std::string& team,
                                                  const std::string& locality) const {
  std::string where = locality;
  if (auto t = teams_.find(team); t != teams_.end()) {
    if (auto r = t->second.roles.find(role); r != t->second.roles.end()) return r->second;
    if (where.empty()) where = t->second.locality;
  }
  if (auto l = localities_.find(where); l != localities_.end()) {
    if (auto r = l->second.find(role); r != l->second.end()) return r->second;
  }
  if (auto r = default_.find(role); r != default_.end()) return r->second;
  return std::nullopt;
}

}  // namespace crp::connectors::email
