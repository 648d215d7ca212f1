// Sink connector: notification decisions -> one GOV.UK Notify "send an email"
// record per recipient ({template_id, email_address, personalisation, reference}).
// Personalisation carries references, stage and dates only: never a child's name.
#pragma once

#include <string>
#include <vector>

#include "adapter/engine/effect.h"
#include "adapter/runtime/service_config.h"

namespace crp::connectors::email {

struct EmailRecord {
  std::string role;
  std::string value;  // JSON
};

struct Unresolved {
  std::string role;  // no address on the event nor in the directory
};

// Addresses come from the challenge's contacts first, then the directory.
void map(const Effect& effect, const NotificationDecision& n, const ServiceConfig& config,
         const std::map<std::string, std::string>& contact_emails, std::vector<EmailRecord>& out,
         std::vector<Unresolved>& unresolved);

}  // namespace crp::connectors::email
