#include "adapter/infra/kafka/topic_setup.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include "adapter/infra/kafka/json_log.h"
#include "adapter/infra/kafka/rdkafka_handles.h"
#include "adapter/json/json.h"

namespace crp::kafka {
namespace {

// Used only when neither an input nor the changelog exists yet.
constexpr int kDefaultPartitions = 6;
constexpr int kTimeoutMs = 30000;

struct NewTopics {
  std::vector<rd_kafka_NewTopic_t*> topics;
  ~NewTopics() { rd_kafka_NewTopic_destroy_array(topics.data(), topics.size()); }
};

}  // namespace

std::map<std::string, int> partition_counts(RdKafka::Handle& client) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
  for (;;) {
    RdKafka::Metadata* raw = nullptr;
    RdKafka::ErrorCode err = client.metadata(true, nullptr, &raw, 5000);
    MetadataPtr metadata(raw);
    bool settled = err == RdKafka::ERR_NO_ERROR;
    std::map<std::string, int> counts;
    if (settled) {
      for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
        if (t->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) continue;
        // A topic just created may still be electing leaders: ask again.
        if (t->err() != RdKafka::ERR_NO_ERROR || t->partitions()->empty()) {
          settled = false;
          err = t->err();
        }
        counts[t->topic()] = static_cast<int>(t->partitions()->size());
      }
    }
    if (settled) return counts;
    if (std::chrono::steady_clock::now() > give_up) {
      throw std::runtime_error("cannot read cluster metadata from Kafka: " + RdKafka::err2str(err));
    }
    log(LogLevel::warning, "waiting for Kafka metadata", {{"error", RdKafka::err2str(err)}});
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

void create_topics(RdKafka::Handle& client, const std::vector<TopicSpec>& topics) {
  rd_kafka_t* rk = client.c_ptr();
  char errstr[512];
  NewTopics list;
  for (const TopicSpec& t : topics) {
    // -1: the broker's default.replication.factor.
    rd_kafka_NewTopic_t* nt =
        rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, -1, errstr, sizeof errstr);
    if (!nt) throw std::runtime_error("cannot create topic " + t.name + ": " + errstr);
    list.topics.push_back(nt);
    for (const auto& [key, value] : t.settings)
      rd_kafka_NewTopic_set_config(nt, key.c_str(), value.c_str());
  }
  std::unique_ptr<rd_kafka_queue_t, decltype(&rd_kafka_queue_destroy)> queue(
      rd_kafka_queue_new(rk), &rd_kafka_queue_destroy);
  std::unique_ptr<rd_kafka_AdminOptions_t, decltype(&rd_kafka_AdminOptions_destroy)> options(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS),
      &rd_kafka_AdminOptions_destroy);
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), kTimeoutMs, errstr, sizeof errstr);
  rd_kafka_CreateTopics(rk, list.topics.data(), list.topics.size(), options.get(), queue.get());
  std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)> event(
      rd_kafka_queue_poll(queue.get(), kTimeoutMs + 5000), &rd_kafka_event_destroy);
  if (!event) throw std::runtime_error("creating topics timed out");
  if (rd_kafka_event_error(event.get())) {
    throw std::runtime_error(std::string("creating topics failed: ") +
                             rd_kafka_event_error_string(event.get()));
  }
  std::size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  for (std::size_t i = 0; i < count; ++i) {
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    const char* name = rd_kafka_topic_result_name(results[i]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      const char* why = rd_kafka_topic_result_error_string(results[i]);
      throw std::runtime_error(std::string("cannot create topic ") + name + ": " +
                               (why ? why : rd_kafka_err2str(err)));
    }
    log(LogLevel::info, "topic created", {{"topic", name}});
  }
}

namespace {

// operations: needed only to say what operators must know (challenge.quarantined);
// a deployment without it and without runtime.create_topics still starts, and
// those notices are then only logged.
enum class Role { input, output, dead_letter, changelog, operations };

struct NeededTopic {
  std::string name;
  std::string pointer;  // where the config names it
  Role role;
};

std::vector<NeededTopic> needed_topics(const ServiceConfig& c) {
  std::vector<NeededTopic> out;
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    out.push_back({c.inputs[i].topic,
                   json::pointer_append(json::pointer_append("/inputs", i), "topic"), Role::input});
  }
  out.push_back({c.topics.escalations, "/topics/escalations", Role::output});
  out.push_back({c.topics.email, "/topics/email", Role::output});
  out.push_back({c.topics.casenotes, "/topics/casenotes", Role::output});
  out.push_back({c.topics.partner_outbox, "/topics/partner_outbox", Role::output});
  out.push_back({c.topics.facts, "/topics/facts", Role::output});
  out.push_back({c.topics.dlq, "/topics/dlq", Role::dead_letter});
  out.push_back({c.topics.changelog, "/topics/changelog", Role::changelog});
  out.push_back({c.webhooks.operations_topic, "/webhooks/operations_topic", Role::operations});
  return out;
}

// The missing topics `run` needs, with the settings of their role.
void create_missing(RdKafka::Handle& client, const std::vector<NeededTopic>& missing,
                    int partitions, int max_message_bytes,
                    std::chrono::milliseconds dead_letter_retention) {
  std::vector<TopicSpec> specs;
  for (const NeededTopic& t : missing) {
    TopicSpec spec{t.name, partitions, {}};
    if (t.role == Role::changelog) spec.settings["cleanup.policy"] = "compact";
    // Dead letters are whole input records, possibly large.
    if (t.role == Role::dead_letter || t.role == Role::input)
      spec.settings["max.message.bytes"] = std::to_string(max_message_bytes);
    // A dead letter keeps the whole input, free text and names included: it
    // is kept only as long as an operator needs to fix and re-drive it
    // (runtime.dead_letter_retention_days, docs/decisions/0045).
    if (t.role == Role::dead_letter)
      spec.settings["retention.ms"] = std::to_string(dead_letter_retention.count());
    specs.push_back(std::move(spec));
  }
  create_topics(client, specs);
}

// The topic's settings as the broker applies them; empty if unknown.
std::map<std::string, std::string> topic_config(RdKafka::Handle& client, const std::string& topic) {
  std::map<std::string, std::string> out;
  rd_kafka_t* rk = client.c_ptr();
  char errstr[512];
  rd_kafka_ConfigResource_t* resource =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  std::unique_ptr<rd_kafka_queue_t, decltype(&rd_kafka_queue_destroy)> queue(
      rd_kafka_queue_new(rk), &rd_kafka_queue_destroy);
  std::unique_ptr<rd_kafka_AdminOptions_t, decltype(&rd_kafka_AdminOptions_destroy)> options(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS),
      &rd_kafka_AdminOptions_destroy);
  rd_kafka_AdminOptions_set_request_timeout(options.get(), kTimeoutMs, errstr, sizeof errstr);
  rd_kafka_DescribeConfigs(rk, &resource, 1, options.get(), queue.get());
  rd_kafka_ConfigResource_destroy(resource);
  std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)> event(
      rd_kafka_queue_poll(queue.get(), kTimeoutMs + 5000), &rd_kafka_event_destroy);
  if (!event || rd_kafka_event_error(event.get())) return out;
  std::size_t count = 0;
  const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(event.get()), &count);
  for (std::size_t i = 0; i < count; ++i) {
    if (rd_kafka_ConfigResource_error(resources[i])) continue;
    std::size_t entries = 0;
    const rd_kafka_ConfigEntry_t** configs =
        rd_kafka_ConfigResource_configs(resources[i], &entries);
    for (std::size_t j = 0; j < entries; ++j) {
      const char* value = rd_kafka_ConfigEntry_value(configs[j]);
      if (value) out[rd_kafka_ConfigEntry_name(configs[j])] = value;
    }
  }
  return out;
}

// A DLQ topic made by someone else may keep dead letters (whole inputs) for
// longer than configured, or forever: say so at start, once.
void check_dead_letter_retention(const ServiceConfig& config,
                                 const std::map<std::string, std::string>& settings) {
  auto it = settings.find("retention.ms");
  if (it == settings.end()) return;
  const long long configured = config.dead_letter_retention.count();
  const long long actual = std::atoll(it->second.c_str());
  if (actual >= 0 && actual <= configured) return;
  log(LogLevel::warning, "dead-letter topic keeps records longer than configured",
      {{"topic", config.topics.dlq},
       {"retention_ms", it->second},
       {"configured_retention_ms", std::to_string(configured)},
       {"fix", "kafka-configs --alter --entity-type topics --entity-name " + config.topics.dlq +
                   " --add-config retention.ms=" + std::to_string(configured)}});
}

// Input partition N and changelog partition N hold the same challenges.
void check_co_partitioned(const ServiceConfig& config, const std::vector<NeededTopic>& needed,
                          const std::map<std::string, int>& counts) {
  std::string reference;  // the first of them that exists
  for (const NeededTopic& t : needed) {
    if (t.role != Role::input && t.role != Role::changelog) continue;
    auto it = counts.find(t.name);
    if (it == counts.end()) continue;
    if (reference.empty()) {
      reference = t.name;
    } else if (it->second != counts.at(reference)) {
      throw std::runtime_error(
          "topic " + t.name + " has " + std::to_string(it->second) + " partitions but " +
          reference + " has " + std::to_string(counts.at(reference)) +
          "; the input topics and the changelog " + config.topics.changelog +
          " must have the same partition count (state of input partition N lives in "
          "changelog partition N)");
    }
  }
}

}  // namespace

TopicLayout prepare_topics(const ServiceConfig& config, RdKafka::Handle& client,
                           int max_message_bytes) {
  const std::vector<NeededTopic> needed = needed_topics(config);
  std::map<std::string, int> counts = partition_counts(client);
  check_co_partitioned(config, needed, counts);  // before creating anything

  TopicLayout layout;
  std::vector<NeededTopic> missing;
  for (const NeededTopic& t : needed) {
    if (counts.count(t.name)) continue;
    if (!config.create_topics && t.role == Role::operations) {
      log(LogLevel::warning, "operations topic missing: its notices are only logged",
          {{"topic", t.name}, {"fix", "create it or set runtime.create_topics"}});
      layout.operations = false;
      continue;
    }
    if (!config.create_topics) {
      throw json::ConfigError(
          config.file, t.pointer,
          "topic " + t.name + " does not exist; create it or set runtime.create_topics");
    }
    missing.push_back(t);
  }
  if (!missing.empty()) {
    // New topics get the partition count of an existing input (or changelog).
    int partitions = kDefaultPartitions;
    for (const NeededTopic& t : needed) {
      if ((t.role == Role::input || t.role == Role::changelog) && counts.count(t.name))
        partitions = counts[t.name];
    }
    create_missing(client, missing, partitions, max_message_bytes, config.dead_letter_retention);
    // Metadata can lag a moment behind the controller.
    for (int attempt = 0; attempt < 50; ++attempt) {
      counts = partition_counts(client);
      bool all = true;
      for (const NeededTopic& t : missing) all = all && counts.count(t.name);
      if (all) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    check_co_partitioned(config, needed, counts);
  }
  if (!counts.count(config.topics.changelog)) {
    throw std::runtime_error("topic " + config.topics.changelog +
                             " was created but is not visible in the metadata");
  }
  layout.partitions = counts.at(config.topics.changelog);
  const auto dlq = topic_config(client, config.topics.dlq);
  if (auto it = dlq.find("max.message.bytes"); it != dlq.end())
    layout.dead_letter_max_bytes = std::atoi(it->second.c_str());
  check_dead_letter_retention(config, dlq);
  return layout;
}

}  // namespace crp::kafka
