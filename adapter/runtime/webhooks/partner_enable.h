// `crp-adapter webhooks enable --config F --partner ID` (docs/decisions/0044):
// a partner disabled after its endpoint answered 410 Gone stays disabled,
// across restarts, until an operator runs this. It writes an enable record
// {"enable_partner": ID} to EVERY partition of the partner outbox, so every
// running dispatcher instance (whatever partitions it owns) reads it,
// re-enables the partner and removes its disabled record.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "adapter/runtime/service_config.h"

namespace crp::webhooks {

// The outbox value of an enable record.
std::string enable_value(const std::string& partner_id);

// The partner an enable record names; nullopt for any other value (`problem`
// stays empty) or a malformed enable record (`problem` says why).
std::optional<std::string> parse_enable(const std::string& outbox_value, std::string& problem);

// Returns the process exit code; prints what it did to `out`, problems to `err`.
int enable_partner(const ServiceConfig& config, const std::string& partner, std::ostream& out,
                   std::ostream& err);

}  // namespace crp::webhooks
