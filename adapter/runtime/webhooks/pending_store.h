// The pending-deliveries topic (compacted, co-partitioned with the outbox):
// key "<partner>/<webhook-id>", value webhooks::encode(Delivery), a tombstone
// once the delivery is done or dead-lettered. This reads partitions of it to
// their end when the dispatcher is assigned the matching outbox partitions,
// so retries waiting hours survive restarts without holding the outbox back.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "adapter/infra/kafka/event_logger.h"
#include "adapter/infra/kafka/rdkafka_handles.h"
#include "adapter/runtime/service_config.h"
#include "connectors/webhooks/delivery.h"

namespace crp::webhooks {

using delivery::pending_key;

// A partner's "disabled" record on the pending topic: key "<partner>/!disabled"
// in every partition (so whichever partitions an instance owns, it reads it),
// a tombstone once an operator enables the partner again.
std::string disabled_key(const std::string& partner_id);

struct PendingState {
  std::map<std::int32_t, std::vector<Delivery>> jobs;  // partition -> pending (latest per key)
  std::set<std::string> disabled;                      // partners recorded disabled
};

class PendingReader {
 public:
  // `topic`: the pending topic to read (the webhooks' by default).
  explicit PendingReader(const ServiceConfig& config, std::string topic = {});
  ~PendingReader();
  PendingReader(const PendingReader&) = delete;
  PendingReader& operator=(const PendingReader&) = delete;

  // The deliveries still pending in `partitions`, and the partners recorded
  // disabled there. Throws std::runtime_error when a partition cannot be read to its end.
  PendingState read(const std::vector<std::int32_t>& partitions);

 private:
  const ServiceConfig& config_;
  std::string topic_;
  kafka::EventLogger events_{"webhooks-restore"};
  kafka::ConsumerPtr consumer_;
};

}  // namespace crp::webhooks
