// The Kafka clients of the webhook dispatcher and of `webhooks redeliver`,
// and the start-up check of the topics only they use. Every `kafka.*`
// property of the service config applies (TLS, SASL), except those that
// belong to the exactly-once clients alone (transactional.id, static
// membership); then the settings each client needs.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <cstdint>
#include <map>
#include <string>

#include "adapter/infra/kafka/rdkafka_handles.h"
#include "adapter/runtime/service_config.h"

namespace crp::webhooks {

// `settings` override the user's properties. Throws json::ConfigError when
// librdkafka rejects a user property.
kafka::ConfPtr client_conf(const ServiceConfig& config,
                           const std::map<std::string, std::string>& settings,
                           RdKafka::EventCb* events);

// The two clients of a delivery shell named `name` (webhooks, notify): an
// idempotent producer of pending records, dead letters and operations events
// whose delivery reports go to `reports`, and the group member that reads
// the shell's input (read_committed, offsets committed by the shell) whose
// rebalances go to `rebalance`. Throw std::runtime_error when librdkafka
// cannot create the client.
kafka::ProducerPtr shell_producer(const ServiceConfig& config, const std::string& name,
                                  RdKafka::DeliveryReportCb* reports, RdKafka::EventCb* events);
kafka::ConsumerPtr shell_consumer(const ServiceConfig& config, const std::string& name,
                                  RdKafka::RebalanceCb* rebalance, RdKafka::EventCb* events);

// Checks the pending-deliveries and operations topics (creating them when
// runtime.create_topics is on): the pending topic is compacted and has the
// outbox's partition count (a delivery from outbox partition N waits in
// pending partition N). Returns that partition count.
std::int32_t prepare_webhook_topics(const ServiceConfig& config, RdKafka::Handle& client);

// The same for any delivery shell: `pending` gets `input`'s partition count;
// the pointers name the config keys in errors.
std::int32_t prepare_delivery_topics(const ServiceConfig& config, RdKafka::Handle& client,
                                     const std::string& input, const char* input_pointer,
                                     const std::string& pending, const char* pending_pointer,
                                     const std::string& operations, const char* operations_pointer);

}  // namespace crp::webhooks
