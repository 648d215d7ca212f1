// `crp-adapter webhooks redeliver --config F --partner ID [--since ISO8601]`
// (docs/decisions/0011): dead-lettered deliveries of one partner, read from
// the DLQ topic, go back onto the partner OUTBOX as redelivery records
// {"redeliver": <encoded Delivery, attempts reset>} keyed by challenge id.
// The dispatcher sends them with their ORIGINAL webhook-id, so a receiver
// that saw one before de-duplicates it.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "adapter/calendar/time.h"
#include "adapter/runtime/service_config.h"
#include "connectors/webhooks/delivery.h"

namespace crp::webhooks {

// The outbox value that asks the dispatcher to deliver `d` again.
std::string redelivery_value(const Delivery& d);

// The delivery a redelivery record carries; nullopt for any other outbox
// value (`problem` stays empty), or when it is a malformed redelivery
// record (`problem` says why).
std::optional<Delivery> parse_redelivery(const std::string& outbox_value, std::string& problem);

struct RedeliverOptions {
  std::string partner;
  std::optional<Instant> since;  // dead-lettered at or after (the DLQ record's timestamp)
};

// Returns the process exit code; prints what it did to `out`, problems to `err`.
int redeliver(const ServiceConfig& config, const RedeliverOptions& options, std::ostream& out,
              std::ostream& err);

}  // namespace crp::webhooks
