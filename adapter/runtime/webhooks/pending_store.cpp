#include "adapter/runtime/webhooks/pending_store.h"

#include <chrono>
#include <set>
#include <stdexcept>

#include "adapter/infra/kafka/json_log.h"
#include "adapter/runtime/webhooks/kafka_clients.h"

namespace crp::webhooks {
namespace {

using kafka::LogLevel;
constexpr auto kReadTimeout = std::chrono::seconds(120);

}  // namespace

std::string disabled_key(const std::string& partner_id) {
  return partner_id + "/!disabled";
}

PendingReader::PendingReader(const ServiceConfig& config, std::string topic)
    : config_(config), topic_(topic.empty() ? config.webhooks.pending_topic : std::move(topic)) {
  // Written by an idempotent (not transactional) producer: the high
  // watermark is the end, read_uncommitted. assign() only: no group joined.
  kafka::ConfPtr conf = client_conf(config,
                                    {{"group.id", config.group_id + "-webhooks-restore"},
                                     {"client.id", "crp-adapter-webhooks-restore"},
                                     {"enable.auto.commit", "false"},
                                     {"enable.partition.eof", "true"},
                                     {"fetch.wait.max.ms", "20"},
                                     {"auto.offset.reset", "earliest"},
                                     {"isolation.level", "read_uncommitted"}},
                                    &events_);
  std::string error;
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer_) throw std::runtime_error("cannot create the pending-deliveries reader: " + error);
}

PendingReader::~PendingReader() {
  if (consumer_) consumer_->close();
}

PendingState PendingReader::read(const std::vector<std::int32_t>& partitions) {
  const auto started = std::chrono::steady_clock::now();
  const std::string& topic = topic_;
  std::map<std::int32_t, std::map<std::string, bool>> disabled;  // partition -> partner -> on
  std::map<std::int32_t, std::map<std::string, Delivery>> latest;
  std::map<std::int32_t, std::int64_t> end;
  kafka::TopicPartitions assignment;
  for (std::int32_t p : partitions) {
    latest[p];
    std::int64_t low = 0, high = 0;
    RdKafka::ErrorCode err;
    while ((err = consumer_->query_watermark_offsets(topic, p, &low, &high, 5000)) !=
           RdKafka::ERR_NO_ERROR) {
      if (std::chrono::steady_clock::now() - started > kReadTimeout)
        throw std::runtime_error("cannot read the offsets of " + topic + " partition " +
                                 std::to_string(p) + ": " + RdKafka::err2str(err));
    }
    if (high > low) {
      end[p] = high;
      assignment.add(topic, p, RdKafka::Topic::OFFSET_BEGINNING);
    }
  }
  std::size_t records = 0, undecodable = 0;
  if (!assignment.empty()) {
    if (RdKafka::ErrorCode err = consumer_->assign(assignment.get()); err != RdKafka::ERR_NO_ERROR)
      throw std::runtime_error("cannot assign " + topic + ": " + RdKafka::err2str(err));
    std::set<std::int32_t> open;
    for (const auto& [p, e] : end) open.insert(p);
    while (!open.empty()) {
      if (std::chrono::steady_clock::now() - started > kReadTimeout) {
        consumer_->unassign();
        throw std::runtime_error(topic + " did not reach its end within " +
                                 std::to_string(kReadTimeout.count()) + " s");
      }
      kafka::MessagePtr msg(consumer_->consume(200));
      const std::int32_t p = msg->partition();
      if (msg->err() == RdKafka::ERR__PARTITION_EOF) {
        if (msg->offset() >= end[p]) open.erase(p);
        continue;
      }
      if (msg->err() == RdKafka::ERR__TIMED_OUT) continue;
      if (msg->err() != RdKafka::ERR_NO_ERROR) {
        kafka::log(LogLevel::warning, "pending-deliveries read error",
                   {{"topic", topic}, {"error", msg->errstr()}});
        continue;
      }
      ++records;
      if (msg->offset() + 1 >= end[p]) open.erase(p);
      const std::string* key = msg->key();
      if (!key) continue;
      if (key->ends_with("/!disabled")) {
        disabled[p][key->substr(0, key->size() - 10)] = msg->payload() != nullptr;
        continue;
      }
      if (!msg->payload()) {
        latest[p].erase(*key);
        continue;
      }
      auto d = decode(std::string(static_cast<const char*>(msg->payload()), msg->len()));
      if (!d) {
        // Never silently: a pending delivery we cannot read is one we would lose.
        ++undecodable;
        kafka::log(LogLevel::error, "pending delivery cannot be decoded; left on the topic",
                   {{"topic", topic}, {"partition", p}, {"offset", msg->offset()}});
        continue;
      }
      latest[p][*key] = std::move(*d);
    }
    consumer_->unassign();
  }
  PendingState out;
  for (const auto& [p, partners] : disabled)
    for (const auto& [partner, on] : partners)
      if (on) out.disabled.insert(partner);
  std::size_t deliveries = 0;
  for (auto& [p, by_key] : latest) {
    auto& list = out.jobs[p];
    for (auto& [k, d] : by_key) list.push_back(std::move(d));
    deliveries += list.size();
  }
  kafka::log(LogLevel::info, "pending deliveries restored",
             {{"topic", topic},
              {"records", records},
              {"deliveries", deliveries},
              {"undecodable", undecodable},
              {"disabled_partners", out.disabled.size()},
              {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - started)
                         .count()}});
  return out;
}

}  // namespace crp::webhooks
