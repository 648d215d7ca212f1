// Writes what a GOV.UK Notify permanent failure causes (docs/decisions/0049):
// notification.failed on the operations topic and, when notify.fallback_email
// is set and the failed email was not itself a fallback, an email record to
// that mailbox on topics.email (which the Notify sender then sends). Called
// from the admin route on the Kafka loop's thread; waits for the acks.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <string>

#include "adapter/infra/kafka/event_logger.h"
#include "adapter/infra/kafka/rdkafka_handles.h"
#include "adapter/runtime/service_config.h"
#include "connectors/notify/notify_records.h"

namespace crp::webhooks {

class NotifyReceiptWriter final : RdKafka::DeliveryReportCb {
 public:
  explicit NotifyReceiptWriter(const ServiceConfig& config);
  // True once every record is acknowledged (within `wait`); false otherwise
  // (logged), so the route answers 503 and Notify calls again.
  bool write(const notify::Receipt& receipt,
             std::chrono::milliseconds wait = std::chrono::milliseconds(5000));

 private:
  void dr_cb(RdKafka::Message& m) override;

  const ServiceConfig& config_;
  std::string template_id_;
  kafka::EventLogger events_;
  kafka::ProducerPtr producer_;
  int failed_ = 0;
};

}  // namespace crp::webhooks
