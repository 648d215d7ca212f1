#include "adapter/infra/kafka/kafka_properties.h"

#include <algorithm>
#include <map>
#include <vector>

#include "adapter/json/json.h"

namespace crp::kafka {
namespace {

using Properties = std::map<std::string, std::string>;

void set(RdKafka::Conf& conf, const std::string& key, const std::string& value) {
  std::string error;
  if (conf.set(key, value, error) != RdKafka::Conf::CONF_OK) {
    throw std::logic_error("librdkafka rejected built-in setting " + key + ": " + error);
  }
}

// librdkafka quotes a rejected value in its message; a secret must not
// reach the log or the terminal that way.
std::string without_secret(std::string message, const std::string& key, const std::string& value) {
  static const char* const kSecretWords[] = {"password", "secret", "token",
                                             "key",      "jaas",   "oauthbearer"};
  bool secret = false;
  for (const char* word : kSecretWords) secret = secret || key.find(word) != std::string::npos;
  if (!secret || value.empty()) return message;
  for (std::size_t at; (at = message.find(value)) != std::string::npos;)
    message.replace(at, value.size(), "***");
  return message;
}

// `required` are the settings exactly-once depends on: a user value that
// differs is a configuration error rather than something silently replaced.
// `ignored` user properties are left out of this client.
ConfPtr build(const ServiceConfig& config, RdKafka::EventCb* events, const Properties& defaults,
              const Properties& required, bool check_required,
              const std::vector<std::string>& ignored = {}) {
  ConfPtr conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  for (const auto& [key, value] : config.kafka) {
    if (std::find(ignored.begin(), ignored.end(), key) != ignored.end()) continue;
    const std::string at = json::pointer_append("/kafka", key);
    if (auto it = required.find(key);
        check_required && it != required.end() && it->second != value) {
      throw json::ConfigError(config.file, at,
                              "crp-adapter sets " + key + "=" + it->second +
                                  " itself for exactly-once processing; remove it from kafka");
    }
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK) {
      throw json::ConfigError(config.file, at, without_secret(error, key, value));
    }
  }
  for (const auto& [key, value] : defaults) {
    if (!config.kafka.count(key)) set(*conf, key, value);
  }
  for (const auto& [key, value] : required) set(*conf, key, value);
  if (events && conf->set("event_cb", events, error) != RdKafka::Conf::CONF_OK)
    throw std::logic_error(error);
  return conf;
}

}  // namespace

ConfPtr group_consumer_conf(const ServiceConfig& config, RdKafka::RebalanceCb* rebalance,
                            RdKafka::EventCb* events) {
  // Cooperative rebalancing moves only the partitions that change owner. With
  // several input topics, partition N of each must land on the same member
  // (they share changelog partition N): only the range assignor guarantees
  // that for co-partitioned topics, so it is the default then.
  const char* strategy = config.inputs.size() > 1 ? "range" : "cooperative-sticky";
  ConfPtr conf = build(config, events,
                       {{"partition.assignment.strategy", strategy},
                        {"auto.offset.reset", "earliest"},
                        {"client.id", "crp-adapter"}},
                       {{"group.id", config.group_id},
                        {"enable.auto.commit", "false"},
                        {"enable.auto.offset.store", "false"},
                        {"isolation.level", "read_committed"}},
                       true);
  std::string error;
  if (conf->set("rebalance_cb", rebalance, error) != RdKafka::Conf::CONF_OK)
    throw std::logic_error(error);
  return conf;
}

ConfPtr transactional_producer_conf(const ServiceConfig& config,
                                    const std::string& transactional_id, RdKafka::EventCb* events) {
  // A short transaction timeout bounds how long a crashed instance's open
  // transaction can hold back read_committed readers of its partitions (a
  // restart with the same transactional.id aborts it at once anyway).
  return build(config, events,
               {{"message.max.bytes", std::to_string(kDefaultMaxMessageBytes)},
                {"transaction.timeout.ms", "10000"},
                {"client.id", "crp-adapter"}},
               {{"transactional.id", transactional_id}, {"enable.idempotence", "true"}}, true);
}

ConfPtr restore_consumer_conf(const ServiceConfig& config, RdKafka::EventCb* events,
                              Isolation isolation) {
  // Only assign() is used, so this group id is never joined nor committed to.
  return build(config, events, {{"client.id", "crp-adapter-restore"}},
               {{"group.id", config.group_id + ".changelog-restore"},
                {"enable.auto.commit", "false"},
                {"enable.auto.offset.store", "false"},
                {"enable.partition.eof", "true"},
                {"fetch.wait.max.ms", "20"},  // the end of a partition is known one fetch sooner
                {"auto.offset.reset", "earliest"},
                {"isolation.level",
                 isolation == Isolation::read_committed ? "read_committed" : "read_uncommitted"}},
               false,
               // Static membership is for the group member only: this
               // consumer never joins a group.
               {"group.instance.id"});
}

std::string effective_property(const RdKafka::Conf& conf, const std::string& name) {
  std::string value;
  return conf.get(name, value) == RdKafka::Conf::CONF_OK ? value : std::string();
}

}  // namespace crp::kafka
