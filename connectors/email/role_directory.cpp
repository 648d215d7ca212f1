#include "connectors/email/role_directory.h"

#include <cctype>

#include "adapter/json/json.h"

namespace crp::connectors::email {
namespace {

std::string lower(std::string text) {
  for (char& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return text;
}

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

std::set<std::string> read_domains(const rapidjson::Value& a) {
  std::set<std::string> out;
  for (const auto& v : a.GetArray()) out.insert(lower(v.GetString()));
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
  if (doc.HasMember("council_domains")) d.council_domains_ = read_domains(doc["council_domains"]);
  d.domains_listed_ = !d.council_domains_.empty();
  if (doc.HasMember("agencies")) {
    for (auto m = doc["agencies"].MemberBegin(); m != doc["agencies"].MemberEnd(); ++m) {
      const std::string code = m->name.GetString();
      const std::string at = json::pointer_append("/agencies", code);
      Agency a;
      if (m->value.HasMember("domains")) a.domains = read_domains(m->value["domains"]);
      if (m->value.HasMember("roles"))
        a.roles = read_mailboxes(m->value["roles"], file, at + "/roles");
      if (m->value.HasMember("localities")) {
        const auto& ls = m->value["localities"];
        for (auto l = ls.MemberBegin(); l != ls.MemberEnd(); ++l) {
          const std::string name = l->name.GetString();
          a.localities.emplace(
              name, read_mailboxes(l->value, file, json::pointer_append(at + "/localities", name)));
        }
      }
      d.domains_listed_ = d.domains_listed_ || !a.domains.empty();
      d.agencies_.emplace(code, std::move(a));
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

std::optional<std::string> RoleDirectory::resolve_for_agency(const std::string& role,
                                                             const std::string& agency,
                                                             const std::string& locality) const {
  auto a = agencies_.find(agency);
  if (a == agencies_.end()) return std::nullopt;
  if (auto l = a->second.localities.find(locality); l != a->second.localities.end()) {
    if (auto r = l->second.find(role); r != l->second.end()) return r->second;
  }
  if (auto r = a->second.roles.find(role); r != a->second.roles.end()) return r->second;
  return std::nullopt;
}

bool RoleDirectory::allows_contact(const std::string& address, const std::string& agency) const {
  if (!domains_listed_) return true;
  const auto at = address.rfind('@');
  if (at == std::string::npos) return false;
  const std::string domain = lower(address.substr(at + 1));
  if (council_domains_.count(domain)) return true;
  auto a = agencies_.find(agency);
  return a != agencies_.end() && a->second.domains.count(domain) > 0;
}

std::set<std::string> RoleDirectory::agency_codes() const {
  std::set<std::string> out;
  for (const auto& [code, a] : agencies_) out.insert(code);
  return out;
}

}  // namespace crp::connectors::email
