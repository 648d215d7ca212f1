#include "adapter/runtime/webhooks/kafka_clients.h"

#include <chrono>
#include <memory>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "adapter/infra/kafka/topic_setup.h"
#include "adapter/json/json.h"

namespace crp::webhooks {
namespace {

// Properties of the exactly-once clients that must not leak into these.
const std::set<std::string> kNotForUs = {"transactional.id", "group.instance.id", "isolation.level",
                                         "transaction.timeout.ms"};

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
  std::map<std::string, int> counts = kafka::partition_counts(client);
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
    std::map<std::string, std::string> settings;
    if (t.compacted) settings["cleanup.policy"] = "compact";
    kafka::create_topics(client, {{t.name, t.partitions, std::move(settings)}});
    created = true;
  }
  for (int attempt = 0; created && attempt < 50; ++attempt) {
    counts = kafka::partition_counts(client);
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
