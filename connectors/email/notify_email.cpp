#include "connectors/email/notify_email.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "connectors/percent_encoding.h"

namespace crp::connectors::email {
namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

std::string template_id(const EmailSettings& settings, const std::string& protocol,
                        const std::string& stage, const std::string& kind) {
  std::vector<std::string> keys;
  if (!stage.empty()) keys.push_back(protocol + "." + stage + "." + kind);
  keys.push_back(protocol + "." + kind);
  keys.push_back(kind);
  for (const std::string& key : keys) {
    if (auto it = settings.templates.find(key); it != settings.templates.end()) return it->second;
  }
  return "crp:" + kind;  // visible placeholder rather than a silent drop
}

void map(const Effect& effect, const NotificationDecision& n, const ProtocolRuntime* rt,
         const EmailSettings& settings, const Subject& subject, std::vector<EmailRecord>& out,
         std::vector<Unresolved>& unresolved) {
  const std::string template_for_decision =
      template_id(settings, effect.protocol, n.stage, n.template_key);
  const std::string team(subject.team);
  const std::string locality(subject.locality);
  const std::string agency(subject.agency);
  std::vector<std::string> sent_to;

  auto send = [&](const std::string& role, bool copy) {
    std::optional<std::string> address;
    if (const std::string* given = subject.contact(role)) address = *given;
    const bool partner_role =
        rt && rt->protocol.partner_agency.is_agency_role(role) && AgencyCodes::is_partner(agency);
    if (!address) {
      address = partner_role ? settings.directory.resolve_for_agency(role, agency, locality)
                             : settings.directory.resolve(role, team, locality);
    }
    if (!address) {
      unresolved.push_back({role, partner_role ? agency : std::string()});
      return;
    }
    if (std::find(sent_to.begin(), sent_to.end(), *address) != sent_to.end()) return;
    sent_to.push_back(*address);
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    w.StartObject();
    w.Key("template_id"), w.String(template_for_decision);
    w.Key("email_address"), w.String(*address);
    w.Key("personalisation");
    w.StartObject();
    // A route off the child's file has no case reference to give (Notify
    // still needs every personalisation key its template names).
    const bool on_file = !effect.case_id.empty();
    w.Key("case_reference"),
        w.String(on_file ? effect.case_id : "not recorded on the child's file");
    w.Key("protocol"), w.String(rt ? rt->protocol.title : effect.protocol);
    w.Key("stage_label"), w.String(n.stage_label);
    w.Key("recipient_role"), w.String(rt ? rt->protocol.role_title(role) : role);
    w.Key("copy"), w.String(copy ? "yes" : "no");
    w.Key("reason"), w.String(n.reason);
    w.Key("due_date"), w.String(n.due_at && rt ? rt->calendar->local_date_text(*n.due_at) : "");
    w.Key("link"), w.String(on_file ? replace_all(settings.case_link, "{case_id}",
                                                  percent_encode(effect.case_id, "-._~"))
                                    : "");
    w.EndObject();
    // Stable per decision and recipient: Notify's reference, and the key a
    // sender de-duplicates retries by.
    w.Key("reference"), w.String(effect.id() + ":" + role);
    w.EndObject();
    out.push_back({role, std::string(b.GetString(), b.GetSize())});
  };
  for (const auto& r : n.to) send(r, false);
  for (const auto& r : n.cc) send(r, true);
}

}  // namespace crp::connectors::email
