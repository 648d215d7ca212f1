// Who receives a role's emails (config/directory/*.json, schemas/directory.schema.json):
// a mailbox per role for a team, else for the team's locality, else the default;
// a partner agency's own roles by agency code and locality, never a council
// mailbox (docs/decisions/0042).
// Contacts carried on the challenge's events are looked up before this (see
// notify_email.h); the directory only ever holds addresses, never names.
#pragma once

#include <map>
#include <optional>
#include <set>
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

  // A partner agency's role (`agency` a code): the agency's mailbox for the
  // locality, then its own; nothing else. No entry: nullopt (dead-lettered).
  std::optional<std::string> resolve_for_agency(const std::string& role, const std::string& agency,
                                                const std::string& locality) const;

  // May a contact on an event of a challenge involving `agency` have this
  // address? Its domain is the council's or the agency's; with no domain
  // listed anywhere every address is allowed.
  bool allows_contact(const std::string& address, const std::string& agency) const;

  const Mailboxes& defaults() const { return default_; }
  // The agency codes the directory has an entry for.
  std::set<std::string> agency_codes() const;

 private:
  struct Team {
    std::string locality;
    Mailboxes roles;
  };
  struct Agency {
    std::set<std::string> domains;
    Mailboxes roles;
    std::map<std::string, Mailboxes> localities;
  };
  Mailboxes default_;
  std::map<std::string, Mailboxes> localities_;
  std::map<std::string, Team> teams_;
  std::map<std::string, Agency> agencies_;  // by agency code
  std::set<std::string> council_domains_;
  bool domains_listed_ = false;  // any domain anywhere: contacts are checked against them
};

}  // namespace crp::connectors::email
