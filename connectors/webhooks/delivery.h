// One logical webhook delivery: an outbox record (an engine partner decision)
// fanned out to one subscribed partner. Its webhook-id is stable: the same on
// every retry, after a crash, and after `webhooks redeliver`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adapter/calendar/time.h"
#include "adapter/delivery/job.h"
#include "connectors/webhooks/partner.h"

namespace crp::webhooks {

// A webhook delivery is the delivery engine's job; `body` is the CloudEvent
// (structured JSON mode, `data` reduced to the partner's allowlist) and
// `webhook_id` is "msg_" + outbox delivery_id + "_" + partner_id.
using Delivery = delivery::Job;

// The deliveries one outbox record causes, one per subscribed partner, in
// registry order. Returns an empty vector when no partner subscribes.
// Throws std::invalid_argument when the outbox value is malformed.
std::vector<Delivery> fan_out(const std::string& outbox_value, const PartnerRegistry& partners,
                              const std::string& source);

// Durable form of a pending delivery (the value on the pending-deliveries
// topic, and on the DLQ) and back.
std::string encode(const Delivery& d);
std::optional<Delivery> decode(const std::string& value);

}  // namespace crp::webhooks
