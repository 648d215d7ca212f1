#include "adapter/runtime/webhooks/redelivery.h"

#include <rapidjson/document.h>

#include <chrono>
#include <map>
#include <set>

#include "adapter/infra/kafka/acknowledged_producer.h"
#include "adapter/infra/kafka/event_logger.h"
#include "adapter/infra/kafka/rdkafka_handles.h"
#include "adapter/json/json.h"
#include "adapter/runtime/webhooks/kafka_clients.h"

namespace crp::webhooks {
namespace {

constexpr const char* kRedeliverPrefix = "{\"redeliver\":";
constexpr auto kReadTimeout = std::chrono::seconds(120);

const std::string* header(const RdKafka::Headers* headers, const std::string& key,
                          std::string& storage) {
  if (!headers) return nullptr;
  for (const RdKafka::Headers::Header& h : headers->get_all()) {
    if (h.key() == key && h.value()) {
      storage.assign(h.value_string(), h.value_size());
      return &storage;
    }
  }
  return nullptr;
}

}  // namespace

std::string redelivery_value(const Delivery& d) {
  // encode() is JSON; it is embedded as an object, not a string.
  return kRedeliverPrefix + encode(d) + "}";
}

std::optional<Delivery> parse_redelivery(const std::string& value, std::string& problem) {
  problem.clear();
  if (value.rfind(kRedeliverPrefix, 0) != 0) return std::nullopt;
  rapidjson::Document doc;
  if (!json::parse(value, doc, problem) || !doc.IsObject() || !doc.HasMember("redeliver")) {
    if (problem.empty()) problem = "redelivery record is not {\"redeliver\": ...}";
    return std::nullopt;
  }
  const rapidjson::Value& v = doc["redeliver"];
  std::optional<Delivery> d =
      decode(v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : json::to_string(v));
  if (!d) problem = "redelivery record holds no readable delivery";
  return d;
}

int redeliver(const ServiceConfig& config, const RedeliverOptions& options, std::ostream& out,
              std::ostream& err) {
  if (!config.webhooks.partners || !config.webhooks.partners->find(options.partner)) {
    err << "crp-adapter: partner '" << options.partner << "' is not configured in " << config.file
        << "\n";
    return 2;
  }
  kafka::EventLogger events("webhooks-redeliver");
  kafka::ConfPtr conf = client_conf(config,
                                    {{"group.id", config.group_id + "-webhooks-redeliver"},
                                     {"client.id", "crp-adapter-webhooks-redeliver"},
                                     {"enable.auto.commit", "false"},
                                     {"enable.partition.eof", "true"},
                                     {"auto.offset.reset", "earliest"},
                                     {"isolation.level", "read_committed"}},
                                    &events);
  std::string error;
  kafka::ConsumerPtr consumer(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) throw std::runtime_error("cannot create the DLQ reader: " + error);

  const std::string& dlq = config.topics.dlq;
  RdKafka::Metadata* raw = nullptr;
  std::unique_ptr<RdKafka::Topic> topic(
      RdKafka::Topic::create(consumer.get(), dlq, nullptr, error));
  if (RdKafka::ErrorCode e = consumer->metadata(false, topic.get(), &raw, 10000);
      e != RdKafka::ERR_NO_ERROR)
    throw std::runtime_error("cannot read the metadata of " + dlq + ": " + RdKafka::err2str(e));
  kafka::MetadataPtr metadata(raw);
  kafka::TopicPartitions assignment;
  std::set<std::int32_t> open;
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    if (t->topic() != dlq) continue;
    if (t->err() != RdKafka::ERR_NO_ERROR)
      throw std::runtime_error("topic " + dlq + ": " + RdKafka::err2str(t->err()));
    for (const RdKafka::PartitionMetadata* p : *t->partitions()) {
      assignment.add(dlq, p->id(), RdKafka::Topic::OFFSET_BEGINNING);
      open.insert(p->id());
    }
  }
  if (RdKafka::ErrorCode e = consumer->assign(assignment.get()); e != RdKafka::ERR_NO_ERROR)
    throw std::runtime_error("cannot assign " + dlq + ": " + RdKafka::err2str(e));

  // The latest dead letter per webhook-id, in the order they were dead-lettered.
  std::map<std::string, Delivery> found;
  std::vector<std::string> order;
  std::size_t read = 0, undecodable = 0;
  const auto started = std::chrono::steady_clock::now();
  while (!open.empty()) {
    if (std::chrono::steady_clock::now() - started > kReadTimeout)
      throw std::runtime_error(dlq + " did not reach its end within 120 s");
    kafka::MessagePtr m(consumer->consume(200));
    if (m->err() == RdKafka::ERR__PARTITION_EOF) {
      open.erase(m->partition());
      continue;
    }
    if (m->err() == RdKafka::ERR__TIMED_OUT) continue;
    if (m->err() != RdKafka::ERR_NO_ERROR)
      throw std::runtime_error("reading " + dlq + ": " + m->errstr());
    ++read;
    std::string a, b;
    const std::string* cls = header(m->headers(), "__connect.errors.exception.class.name", a);
    const std::string* partner = header(m->headers(), "crp.webhook.partner", b);
    if (!cls || *cls != "crp.WebhookDeliveryFailed" || !partner || *partner != options.partner)
      continue;
    if (options.since) {
      RdKafka::MessageTimestamp ts = m->timestamp();
      if (ts.type == RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE ||
          Instant(std::chrono::milliseconds(ts.timestamp)) < *options.since)
        continue;
    }
    std::optional<Delivery> d =
        m->payload() ? decode(std::string(static_cast<const char*>(m->payload()), m->len()))
                     : std::nullopt;
    if (!d) {
      ++undecodable;
      err << "crp-adapter: " << dlq << " partition " << m->partition() << " offset " << m->offset()
          << ": not a readable delivery; skipped\n";
      continue;
    }
    if (!found.count(d->webhook_id)) order.push_back(d->webhook_id);
    found[d->webhook_id] = std::move(*d);
  }
  consumer->close();

  kafka::EventLogger producer_events("webhooks-redeliver");
  kafka::AcknowledgedProducer producer(
      client_conf(config, {{"client.id", "crp-adapter-webhooks-redeliver"}}, &producer_events));
  const Instant now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  for (const std::string& id : order) {
    Delivery d = found.at(id);
    d.attempt = 0;
    d.last_error.clear();
    d.next_attempt_at = now;
    producer.produce(config.topics.partner_outbox, RdKafka::Topic::PARTITION_UA, d.challenge_id,
                     redelivery_value(d));
  }
  producer.flush("redelivery records");
  out << "redelivered " << order.size() << " dead-lettered deliveries of partner "
      << options.partner << " to " << config.topics.partner_outbox << " (" << read
      << " DLQ records read, " << undecodable << " unreadable)\n";
  return undecodable == 0 ? 0 : 1;
}

}  // namespace crp::webhooks
