// The pending-deliveries topic (compacted, co-partitioned with the outbox):
// key "<partner>/<webhook-id>", value webhooks::encode(Delivery), a tombstone
// once the delivery is done or dead-lettered. This reads partitions of it to
// their end when the dispatcher is assigned the matching outbox partitions,
// so retries waiting hours survive restarts without holding the outbox back.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "adapter/runtime/kafka/event_logger.h"
#include "adapter/runtime/kafka/rdkafka_handles.h"
#include "adapter/runtime/service_config.h"
#include "connectors/webhooks/delivery.h"

namespace crp::webhooks {

std::string pending_key(const Delivery& d);

class PendingReader {
 public:
  explicit PendingReader(const ServiceConfig& config);
  ~PendingReader();
  PendingReader(const PendingReader&) = delete;
  PendingReader& operator=(const PendingReader&) = delete;

  // partition -> the deliveries still pending there (latest value per key).
  // Throws std::runtime_error when a partition cannot be read to its end.
  std::map<std::int32_t, std::vector<Delivery>> read(const std::vector<std::int32_t>& partitions);

 private:
  const ServiceConfig& config_;
  kafka::EventLogger events_{"webhooks-restore"};
  kafka::ConsumerPtr consumer_;
};

}  // namespace crp::webhooks
