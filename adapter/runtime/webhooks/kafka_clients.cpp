#include "adapter/runtime/webhooks/kafka_clients.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "adapter/infra/kafka/json_log.h"
#include "adapter/json/json.h"

namespace crp::webhooks {
namespace {

using kafka::LogLevel;

constexpr int kTimeoutMs = 30000;

// Properties of the exactly-once clients that must not leak into these.
const std::set<std::string> kNotForUs = {"transactional.id", "group.instance.id", "isolation.level",
                                         "transaction.timeout.ms"};

std::map<std::string, int> partition_counts(RdKafka::Handle& client) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
  for (;;) {
    RdKafka::Metadata* raw = nullptr;
    RdKafka::ErrorCode err = client.metadata(true, nullptr, &raw, 5000);
    kafka::MetadataPtr metadata(raw);
    bool settled = err == RdKafka::ERR_NO_ERROR;
    std::map<std::string, int> counts;
    if (settled) {
      for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
        if (t->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) continue;
        if (t->err() != RdKafka::ERR_NO_ERROR || t->partitions()->empty())
          settled = false, err = t->err();
        counts[t->topic()] = static_cast<int>(t->partitions()->size());
      }
    }
    if (settled) return counts;
    if (std::chrono::steady_clock::now() > give_up)
      throw std::runtime_error("cannot read cluster metadata from Kafka: " + RdKafka::err2str(err));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

void create_topic(RdKafka::Handle& client, const std::string& name, int partitions,
                  bool compacted) {
  rd_kafka_t* rk = client.c_ptr();
  char errstr[512];
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(name.c_str(), partitions, -1, errstr, sizeof errstr);
  if (!topic) throw std::runtime_error("cannot create topic " + name + ": " + errstr);
  std::unique_ptr<rd_kafka_NewTopic_t, decltype(&rd_kafka_NewTopic_destroy)> owned(
      topic, &rd_kafka_NewTopic_destroy);
  if (compacted) rd_kafka_NewTopic_set_config(topic, "cleanup.policy", "compact");
  std::unique_ptr<rd_kafka_queue_t, decltype(&rd_kafka_queue_destroy)> queue(
      rd_kafka_queue_new(rk), &rd_kafka_queue_destroy);
  std::unique_ptr<rd_kafka_AdminOptions_t, decltype(&rd_kafka_AdminOptions_destroy)> options(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS),
      &rd_kafka_AdminOptions_destroy);
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), kTimeoutMs, errstr, sizeof errstr);
  rd_kafka_CreateTopics(rk, &topic, 1, options.get(), queue.get());
  std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)> event(
      rd_kafka_queue_poll(queue.get(), kTimeoutMs + 5000), &rd_kafka_event_destroy);
  if (!event) throw std::runtime_error("creating topic " + name + " timed out");
  if (rd_kafka_event_error(event.get()))
    throw std::runtime_error("cannot create topic " + name + ": " +
                             rd_kafka_event_error_string(event.get()));
  std::size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  for (std::size_t i = 0; i < count; ++i) {
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      const char* why = rd_kafka_topic_result_error_string(results[i]);
      throw std::runtime_error("cannot create topic " + name + ": " +
                               (why ? why : rd_kafka_err2str(err)));
    }
  }
  kafka::log(LogLevel::info, "topic created", {{"topic", name}});
}

}  // namespace

kafka::ConfPtr client_conf(const ServiceConfig& config,
                           const std::map<std::string, std::string>& settings,
                           RdKafka::EventCb* events) {
  kafka::ConfPtr conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  for (const auto& [key, value] : config.kafka) {
    if (kNotForUs.count(key) || settings.count(key)) continue;
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK)
      throw json::ConfigError(config.file, json::pointer_append("/kafka", key), error);
  }
  for (const auto& [key, value] : settings) {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK)
      throw std::logic_error("librdkafka rejected built-in setting " + key + ": " + error);
  }
  if (events && conf->set("event_cb", events, error) != RdKafka::Conf::CONF_OK)
    throw std::logic_error(error);
  return conf;
}

kafka::ProducerPtr shell_producer(const ServiceConfig& config, const std::string& name,
                                  RdKafka::DeliveryReportCb* reports, RdKafka::EventCb* events) {
  std::string error;
  kafka::ConfPtr conf = client_conf(config,
                                    {{"client.id", "crp-adapter-" + name},
                                     {"enable.idempotence", "true"},
                                     {"acks", "all"},
                                     {"linger.ms", "5"}},
                                    events);
  if (conf->set("dr_cb", reports, error) != RdKafka::Conf::CONF_OK) throw std::logic_error(error);
  kafka::ProducerPtr producer(RdKafka::Producer::create(conf.get(), error));
  if (!producer) throw std::runtime_error("cannot create the " + name + " producer: " + error);
  return producer;
}

kafka::ConsumerPtr shell_consumer(const ServiceConfig& config, const std::string& name,
                                  RdKafka::RebalanceCb* rebalance, RdKafka::EventCb* events) {
  std::string error;
  kafka::ConfPtr conf = client_conf(config,
                                    {{"group.id", config.group_id + "-" + name},
                                     {"client.id", "crp-adapter-" + name},
                                     {"enable.auto.commit", "false"},
                                     {"enable.auto.offset.store", "false"},
                                     {"isolation.level", "read_committed"},
                                     {"auto.offset.reset", "earliest"},
                                     {"partition.assignment.strategy", "range"},
                                     // A partner hears of a decision within tens of
                                     // ms, not librdkafka's default 500 ms fetch wait.
                                     {"fetch.wait.max.ms", "50"}},
                                    events);
  if (conf->set("rebalance_cb", rebalance, error) != RdKafka::Conf::CONF_OK)
    throw std::logic_error(error);
  kafka::ConsumerPtr consumer(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) throw std::runtime_error("cannot create the " + name + " consumer: " + error);
  return consumer;
}

std::int32_t prepare_webhook_topics(const ServiceConfig& config, RdKafka::Handle& client) {
  return prepare_delivery_topics(config, client, config.topics.partner_outbox,
                                 "/topics/partner_outbox", config.webhooks.pending_topic,
                                 "/webhooks/pending_topic", config.webhooks.operations_topic,
                                 "/webhooks/operations_topic");
}

std::int32_t prepare_delivery_topics(const ServiceConfig& config, RdKafka::Handle& client,
                                     const std::string& input, const char* input_pointer,
                                     const std::string& pending, const char* pending_pointer,
                                     const std::string& operations,
                                     const char* operations_pointer) {
  std::map<std::string, int> counts = partition_counts(client);
  auto outbox = counts.find(input);
  if (outbox == counts.end())
    throw json::ConfigError(config.file, input_pointer, "topic " + input + " does not exist");
  const int partitions = outbox->second;
  struct Needed {
    const std::string& name;
    const char* pointer;
    bool compacted;
    int partitions;
  };
  const Needed needed[] = {{pending, pending_pointer, true, partitions},
                           {operations, operations_pointer, false, 1}};
  bool created = false;
  for (const Needed& t : needed) {
    if (counts.count(t.name)) continue;
    if (!config.create_topics) {
      throw json::ConfigError(
          config.file, t.pointer,
          "topic " + t.name + " does not exist; create it or set runtime.create_topics");
    }
    create_topic(client, t.name, t.partitions, t.compacted);
    created = true;
  }
  for (int attempt = 0; created && attempt < 50; ++attempt) {
    counts = partition_counts(client);
    if (counts.count(pending) && counts.count(operations)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  auto found = counts.find(pending);
  if (found == counts.end())
    throw std::runtime_error("topic " + pending + " was created but is not visible");
  if (found->second != partitions) {
    throw json::ConfigError(config.file, pending_pointer,
                            "topic " + pending + " has " + std::to_string(found->second) +
                                " partitions but " + input + " has " + std::to_string(partitions) +
                                "; they must be equal (a delivery from input partition N waits "
                                "in pending partition N)");
  }
  return partitions;
}

}  // namespace crp::webhooks
