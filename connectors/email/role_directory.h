// Who receives a role's emails (config/directory/*.json, schemas/directory.schema.json):
// a mailbox per role for a team, else for the team's locality, else the default.
// Contacts carried on the challenge's events are looked up before this (see
// notify_email.h); the directory only ever holds addresses, never names.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <rapidjson/document.h>

namespace crp::connectors::email {

class RoleDirectory {
 public:
  using Mailboxes = std::map<std::string, std::string>;  // role key -> address

  // Reads a directory document already validated against directory.schema.json.
  // Throws json::ConfigError (naming `file` and the pointer) for a role key that
  // is not lower_snake_case or a team whose locality is not listed.
  static RoleDirectory from_json(const rapidjson::Value& doc, const std::string& file);

  // Adds (or replaces) default mailboxes, e.g. the service config's inline roles.
  void add_defaults(const Mailboxes& roles);

  // The mailbox of `role` for a child of `team` / `locality` (either may be empty):
  // the team's own entry, then the locality (the event's, else the team's), then the default.
  std::optional<std::string> resolve(const std::string& role, const std::string& team,
                                     const std::string& locality) const;

  const Mailboxes& defaults() const { return default_; }

 private:
  struct Team {
    std::string locality;
    Mailboxes roles;
  };
  Mailboxes default_;
  std::map<std::string, Mailboxes> localities_;
  std::map<std::string, Team> teams_;
};

}  // namespace crp::connectors::email
