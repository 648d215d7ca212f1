#include "adapter/runtime/kafka/topic_setup.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

#include "adapter/json/json.h"
#include "adapter/runtime/kafka/json_log.h"
#include "adapter/runtime/kafka/rdkafka_handles.h"

namespace crp::kafka {
namespace {

// Used only when neither an input nor the changelog exists yet.
constexpr int kDefaultPartitions = 6;
constexpr int kTimeoutMs = 30000;

enum class Role { input, output, dead_letter, changelog };

struct NeededTopic {
  std::string name;
  std::string pointer;  // where the config names it
  Role role;
};

std::vector<NeededTopic> needed_topics(const ServiceConfig& c) {
  std::vector<NeededTopic> out;
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    out.push_back({c.inputs[i].topic, json::pointer_append(json::pointer_append("/inputs", i), "topic"), Role::input});
  }
  out.push_back({c.topics.escalations, "/topics/escalations", Role::output});
  out.push_back({c.topics.email, "/topics/email", Role::output});
  out.push_back({c.topics.casenotes, "/topics/casenotes", Role::output});
  out.push_back({c.topics.partner_outbox, "/topics/partner_outbox", Role::output});
  out.push_back({c.topics.dlq, "/topics/dlq", Role::dead_letter});
  out.push_back({c.topics.changelog, "/topics/changelog", Role::changelog});
  return out;
}

// topic -> partition count, for every topic the cluster has.
std::map<std::string, int> partition_counts(RdKafka::Handle& client) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
  for (;;) {
    RdKafka::Metadata* raw = nullptr;
    RdKafka::ErrorCode err = client.metadata(true, nullptr, &raw, 5000);
    MetadataPtr metadata(raw);
    if (err == RdKafka::ERR_NO_ERROR) {
      std::map<std::string, int> counts;
      for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
        if (t->err() == RdKafka::ERR_NO_ERROR) counts[t->topic()] = static_cast<int>(t->partitions()->size());
      }
      return counts;
    }
    if (std::chrono::steady_clock::now() > give_up) {
      throw std::runtime_error("cannot read cluster metadata from Kafka: " + RdKafka::err2str(err));
    }
    log(LogLevel::warning, "waiting for Kafka metadata", {{"error", RdKafka::err2str(err)}});
  }
}

struct NewTopics {
  std::vector<rd_kafka_NewTopic_t*> list;
  ~NewTopics() { rd_kafka_NewTopic_destroy_array(list.data(), list.size()); }
};

void create_topics(RdKafka::Handle& client, const std::vector<NeededTopic>& missing, int partitions,
                   int max_message_bytes) {
  rd_kafka_t* rk = client.c_ptr();
  char errstr[512];
  NewTopics topics;
  for (const NeededTopic& t : missing) {
    // -1: the broker's default.replication.factor.
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(t.name.c_str(), partitions, -1, errstr, sizeof errstr);
    if (!nt) throw std::runtime_error("cannot create topic " + t.name + ": " + errstr);
    topics.list.push_back(nt);
    if (t.role == Role::changelog) rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
    // Dead letters are whole input records, possibly large.
    if (t.role == Role::dead_letter || t.role == Role::input) {
      rd_kafka_NewTopic_set_config(nt, "max.message.bytes", std::to_string(max_message_bytes).c_str());
    }
  }
  std::unique_ptr<rd_kafka_queue_t, decltype(&rd_kafka_queue_destroy)> queue(rd_kafka_queue_new(rk),
                                                                             &rd_kafka_queue_destroy);
  std::unique_ptr<rd_kafka_AdminOptions_t, decltype(&rd_kafka_AdminOptions_destroy)> options(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS), &rd_kafka_AdminOptions_destroy);
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), kTimeoutMs, errstr, sizeof errstr);
  rd_kafka_CreateTopics(rk, topics.list.data(), topics.list.size(), options.get(), queue.get());
  std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)> event(
      rd_kafka_queue_poll(queue.get(), kTimeoutMs + 5000), &rd_kafka_event_destroy);
  if (!event) throw std::runtime_error("creating topics timed out");
  if (rd_kafka_event_error(event.get())) {
    throw std::runtime_error(std::string("creating topics failed: ") + rd_kafka_event_error_string(event.get()));
  }
  std::size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  for (std::size_t i = 0; i < count; ++i) {
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    const char* name = rd_kafka_topic_result_name(results[i]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      const char* why = rd_kafka_topic_result_error_string(results[i]);
      throw std::runtime_error(std::string("cannot create topic ") + name + ": " + (why ? why : rd_kafka_err2str(err)));
    }
    log(LogLevel::info, "topic created", {{"topic", name}});
  }
}

}  // namespace

std::int32_t prepare_topics(const ServiceConfig& config, RdKafka::Handle& client, int max_message_bytes) {
  const std::vector<NeededTopic> needed = needed_topics(config);
  std::map<std::string, int> counts = partition_counts(client);

  std::vector<NeededTopic> missing;
  for (const NeededTopic& t : needed) {
    if (counts.count(t.name)) continue;
    if (!config.create_topics) {
      throw json::ConfigError(config.file, t.pointer,
                              "topic " + t.name + " does not exist; create it or set runtime.create_topics");
    }
    missing.push_back(t);
  }
  if (!missing.empty()) {
    // New topics get the partition count of an existing input (or changelog).
    int partitions = kDefaultPartitions;
    for (const NeededTopic& t : needed) {
      if ((t.role == Role::input || t.role == Role::changelog) && counts.count(t.name)) partitions = counts[t.name];
    }
    create_topics(client, missing, partitions, max_message_bytes);
    // Metadata can lag a moment behind the controller.
    for (int attempt = 0; attempt < 50; ++attempt) {
      counts = partition_counts(client);
      bool all = true;
      for (const NeededTopic& t : missing) all = all && counts.count(t.name);
      if (all) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  const int changelog = counts[config.topics.changelog];
  for (const NeededTopic& t : needed) {
    if (t.role == Role::input && counts[t.name] != changelog) {
      throw std::runtime_error("input topic " + t.name + " has " + std::to_string(counts[t.name]) +
                               " partitions but the changelog " + config.topics.changelog + " has " +
                               std::to_string(changelog) +
                               "; they must be equal (state of input partition N lives in changelog partition N)");
    }
  }
  return changelog;
}

}  // namespace crp::kafka
