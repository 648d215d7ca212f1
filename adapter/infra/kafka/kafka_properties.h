// librdkafka configurations for the three clients of `run`. Every `kafka.*`
// property of the service config goes to all of them unchanged (TLS, SASL,
// MSK IAM, Confluent Cloud need nothing else); then the defaults below where
// the user set nothing; then what exactly-once processing requires, which the
// user may not contradict.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <string>

#include "adapter/infra/kafka/rdkafka_handles.h"
#include "adapter/runtime/service_config.h"

namespace crp::kafka {

// Big enough for a 10 MB input record to reach the DLQ unchanged.
inline constexpr int kDefaultMaxMessageBytes = 16 * 1024 * 1024;

// The group member that consumes the input topics (read_committed, manual
// offsets: they are committed only inside the producer's transactions).
ConfPtr group_consumer_conf(const ServiceConfig& config, RdKafka::RebalanceCb* rebalance,
                            RdKafka::EventCb* events);

// The transactional producer of outputs, changelog records and offsets.
ConfPtr transactional_producer_conf(const ServiceConfig& config,
                                    const std::string& transactional_id, RdKafka::EventCb* events);

// The group-less consumers of changelog partitions: read_committed to read
// them, read_uncommitted to learn their true end (a read_committed client
// is told the last stable offset instead of the high watermark).
enum class Isolation { read_committed, read_uncommitted };
ConfPtr restore_consumer_conf(const ServiceConfig& config, RdKafka::EventCb* events,
                              Isolation isolation);

// A client-level value as librdkafka will use it (user setting or default).
std::string effective_property(const RdKafka::Conf& conf, const std::string& name);

}  // namespace crp::kafka
