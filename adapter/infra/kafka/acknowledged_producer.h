// An idempotent producer for the one-shot CLI commands that write a few
// records and must know each one reached Kafka before they report success
// (`webhooks enable`, `webhooks redeliver`): a full local queue is waited
// out, and a record the broker refused fails the command.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <cstdint>
#include <string>

#include "adapter/infra/kafka/rdkafka_handles.h"

namespace crp::kafka {

class AcknowledgedProducer {
 public:
  // `conf` holds the client's properties (TLS, SASL, client.id); idempotence,
  // acks=all and the delivery-report callback are added here. Throws
  // std::runtime_error when librdkafka cannot create the client.
  explicit AcknowledgedProducer(ConfPtr conf);
  AcknowledgedProducer(const AcknowledgedProducer&) = delete;
  AcknowledgedProducer& operator=(const AcknowledgedProducer&) = delete;

  // For the metadata and topic checks a command makes before it writes.
  RdKafka::Producer& handle() { return *producer_; }

  // Queues one record; waits while librdkafka's local queue is full.
  // `partition` may be RdKafka::Topic::PARTITION_UA (the key's partition).
  void produce(const std::string& topic, std::int32_t partition, const std::string& key,
               const std::string& value);

  // Waits up to a minute for every record to be acknowledged. Throws
  // std::runtime_error naming `what` if any was not.
  void flush(const std::string& what);

 private:
  struct Failures : RdKafka::DeliveryReportCb {
    int failed = 0;
    std::string last;
    void dr_cb(RdKafka::Message& m) override;
  };
  Failures failures_;  // before producer_: the producer calls it until destroyed
  ProducerPtr producer_;
};

}  // namespace crp::kafka
