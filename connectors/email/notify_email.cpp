#include "connectors/email/notify_email.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace crp::connectors::email {
namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

void map(const Effect& effect, const NotificationDecision& n, const ServiceConfig& config,
         const std::map<std::string, std::string>& contact_emails, std::vector<EmailRecord>& out,
         std::vector<Unresolved>& unresolved) {
  const ProtocolRuntime* rt = config.protocols->find(effect.protocol);
  auto template_id = [&]() -> std::string {
    for (const std::string& key : {effect.protocol + "." + n.template_key, n.template_key}) {
      auto it = config.email_templates.find(key);
      if (it != config.email_templates.end()) return it->second;
    }
    return "crp:" + n.template_key;  // visible placeholder rather than a silent drop
  }();
  auto send = [&](const std::string& role, bool copy) {
    auto it = contact_emails.find(role);
    std::string address;
    if (it != contact_emails.end()) {
      address = it->second;
    } else if (auto d = config.role_emails.find(role); d != config.role_emails.end()) {
      address = d->second;
    } else {
      unresolved.push_back({role});
      return;
    }
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    w.StartObject();
    w.Key("template_id"), w.String(template_id);
    w.Key("email_address"), w.String(address);
    w.Key("personalisation");
    w.StartObject();
    w.Key("case_reference"), w.String(effect.case_id);
    w.Key("protocol"), w.String(rt ? rt->protocol.title : effect.protocol);
    w.Key("stage_label"), w.String(n.stage_label);
    w.Key("recipient_role"), w.String(rt && rt->protocol.roles.count(role) ? rt->protocol.roles.at(role) : role);
    w.Key("copy"), w.String(copy ? "yes" : "no");
    w.Key("reason"), w.String(n.reason);
    w.Key("due_date"), w.String(n.due_at && rt ? rt->calendar->local_date_text(*n.due_at) : "");
    w.Key("link"), w.String(replace_all(config.case_link, "{case_id}", effect.case_id));
    w.EndObject();
    w.Key("reference"), w.String(effect.id() + ":" + role);
    w.EndObject();
    out.push_back({role, std::string(b.GetString(), b.GetSize())});
  };
  for (const auto& r : n.to) send(r, false);
  for (const auto& r : n.cc) send(r, true);
}

}  // namespace crp::connectors::email
