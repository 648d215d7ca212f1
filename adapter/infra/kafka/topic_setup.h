// Start-up check of every topic `run` reads or writes. A missing topic is a
// configuration error naming the config path of its name, unless
// runtime.create_topics is on; then it is created through the admin API.
// Input topics and the changelog must have the same partition count: the
// changelog is co-partitioned with the input (state of input partition N
// lives in changelog partition N).
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <cstdint>

#include "adapter/runtime/service_config.h"

namespace crp::kafka {

struct TopicLayout {
  std::int32_t partitions = 0;    // shared by the inputs and the changelog
  int dead_letter_max_bytes = 0;  // the DLQ topic's max.message.bytes (0: unknown)
  bool operations = true;         // the operations topic exists (or was created)
};

// Checks, creates if allowed and describes the topics.
TopicLayout prepare_topics(const ServiceConfig& config, RdKafka::Handle& client,
                           int max_message_bytes);

}  // namespace crp::kafka
