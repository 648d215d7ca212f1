// Start-up check of every topic `run` reads or writes. A missing topic is a
// configuration error naming the config path of its name, unless
// runtime.create_topics is on; then it is created through the admin API.
// Input topics and the changelog must have the same partition count: the
// changelog is co-partitioned with the input (state of input partition N
// lives in changelog partition N).
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "adapter/runtime/service_config.h"

namespace crp::kafka {

struct TopicLayout {
  std::int32_t partitions = 0;    // shared by the inputs and the changelog
  int dead_letter_max_bytes = 0;  // the DLQ topic's max.message.bytes (0: unknown)
  bool operations = true;         // the operations topic exists (or was created)
};

// topic -> partition count, for every topic the cluster has; waits (up to 30 s)
// while a topic just created is still electing leaders.
std::map<std::string, int> partition_counts(RdKafka::Handle& client);

// A topic to create, with its partition count and topic settings.
struct TopicSpec {
  std::string name;
  int partitions;
  std::map<std::string, std::string> settings;  // e.g. cleanup.policy=compact
};
// Creates them through the admin API at the broker's default replication
// factor; one that exists already is fine. Throws with the broker's reason.
void create_topics(RdKafka::Handle& client, const std::vector<TopicSpec>& topics);

// Checks, creates if allowed and describes the topics.
TopicLayout prepare_topics(const ServiceConfig& config, RdKafka::Handle& client,
                           int max_message_bytes);

}  // namespace crp::kafka
