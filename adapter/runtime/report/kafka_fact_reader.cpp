#include "adapter/runtime/report/kafka_fact_reader.h"

#include <map>
#include <set>
#include <stdexcept>

#include "adapter/infra/kafka/event_logger.h"
#include "adapter/infra/kafka/kafka_properties.h"

namespace crp::report {
namespace {

using namespace crp::kafka;

ConsumerPtr consumer(const ServiceConfig& config, RdKafka::EventCb* events, Isolation isolation) {
  std::string error;
  ConfPtr conf = restore_consumer_conf(config, events, isolation);
  std::string ignored;
  conf->set("client.id", "crp-adapter-report", ignored);
  ConsumerPtr c(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!c) throw std::runtime_error("cannot create a Kafka consumer for the report: " + error);
  return c;
}

int partition_count(RdKafka::KafkaConsumer& client, const std::string& topic) {
  std::string error;
  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(&client, topic, nullptr, error));
  if (!handle) throw std::runtime_error("cannot open topic " + topic + ": " + error);
  RdKafka::Metadata* raw = nullptr;
  RdKafka::ErrorCode err = client.metadata(false, handle.get(), &raw, 10000);
  MetadataPtr metadata(raw);
  if (err != RdKafka::ERR_NO_ERROR)
    throw std::runtime_error("cannot read metadata of " + topic + ": " + RdKafka::err2str(err));
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    if (t->topic() != topic) continue;
    if (t->err() != RdKafka::ERR_NO_ERROR)
      throw std::runtime_error("topic " + topic + ": " + RdKafka::err2str(t->err()));
    return static_cast<int>(t->partitions()->size());
  }
  throw std::runtime_error("topic " + topic + " does not exist");
}

}  // namespace

FactSet read_facts_topic(const ServiceConfig& config, std::chrono::seconds timeout) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  const std::string& topic = config.topics.facts;
  EventLogger events("report");
  ConsumerPtr reader = consumer(config, &events, Isolation::read_committed);
  // A read_committed client is told the last stable offset, not the end:
  // the end to reach is the high watermark as a read_uncommitted client sees it.
  ConsumerPtr end_reader = consumer(config, &events, Isolation::read_uncommitted);

  const int partitions = partition_count(*end_reader, topic);
  std::map<std::int32_t, std::int64_t> end;
  TopicPartitions assignment;
  for (std::int32_t p = 0; p < partitions; ++p) {
    std::int64_t low = 0, high = 0;
    if (RdKafka::ErrorCode err = end_reader->query_watermark_offsets(topic, p, &low, &high, 10000);
        err != RdKafka::ERR_NO_ERROR) {
      throw std::runtime_error("cannot read the offsets of " + topic + " partition " +
                               std::to_string(p) + ": " + RdKafka::err2str(err));
    }
    if (high > low) {
      end[p] = high;
      assignment.add(topic, p, RdKafka::Topic::OFFSET_BEGINNING);
    }
  }
  end_reader->close();

  FactSet set;
  if (assignment.empty()) return set;
  if (RdKafka::ErrorCode err = reader->assign(assignment.get()); err != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("cannot assign " + topic + ": " + RdKafka::err2str(err));
  }
  std::set<std::int32_t> pending;
  for (const auto& [p, offset] : end) pending.insert(p);
  while (!pending.empty()) {
    if (std::chrono::steady_clock::now() > give_up) {
      throw std::runtime_error(topic + " did not reach its end within " +
                               std::to_string(timeout.count()) +
                               " s (an open transaction holds it back?)");
    }
    MessagePtr msg(reader->consume(200));
    const std::int32_t p = msg->partition();
    switch (msg->err()) {
      case RdKafka::ERR_NO_ERROR:
        add_fact_value(set, std::string_view(static_cast<const char*>(msg->payload()), msg->len()),
                       topic + "[" + std::to_string(p) + "]@" + std::to_string(msg->offset()));
        if (msg->offset() + 1 >= end[p]) pending.erase(p);
        break;
      case RdKafka::ERR__PARTITION_EOF:
        // Transaction markers take offsets too: the end is reached when the
        // stable end has caught up with the high watermark read above.
        if (msg->offset() >= end[p]) pending.erase(p);
        break;
      case RdKafka::ERR__TIMED_OUT:
        break;
      default:
        throw std::runtime_error("cannot read " + topic + ": " + msg->errstr());
    }
  }
  reader->unassign();
  reader->close();
  return set;
}

}  // namespace crp::report
