// The two halves of bench/restore_scale.sh that are not `crp-adapter run`:
//
//   changelog_fill fill --config F --bootstrap H:P --topic T --challenges N
//     Writes N challenge states to the changelog topic as the service would:
//     key = challenge id, value = encode_challenge() of a state the engine
//     itself built (one challenge.raised per challenge across the config's
//     protocols, half of them then responded to or escalated), so the
//     records have the service's encoding, sizes and pending timers. Built in
//     chunks, so the generator's own memory stays small.
//
//   changelog_fill fill --config F --bootstrap H:P --topic T --plans N
//     The same for N watched plans (the drift watchdog's state, key
//     "watch:<plan_id>"): each built by the engine from a review conference
//     scheduled, a core group held and a visit, so every plan has its checks
//     pending as a live one would.
//
//   changelog_fill read --bootstrap H:P --topic T
//     The baseline: the same librdkafka (read_committed, the restore
//     consumer's fetch settings) reads every record of every partition to the
//     end and does nothing with it.
//
// Each prints one JSON line on stdout: records, bytes, seconds.
#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapter/engine/challenge_codec.h"
#include "adapter/engine/engine.h"
#include "adapter/engine/watch/plan_codec.h"
#include "adapter/runtime/service_config.h"
#include "bench/challenge_states.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kChunk = 10000;

struct Options {
  std::string mode, config, bootstrap, topic;
  std::size_t challenges = 0;
  std::size_t plans = 0;
};

Options parse(int argc, char** argv) {
  if (argc < 2)
    throw std::invalid_argument("usage: changelog_fill fill|read --bootstrap H:P --topic T ...");
  Options o;
  o.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--config")
      o.config = value;
    else if (key == "--bootstrap")
      o.bootstrap = value;
    else if (key == "--topic")
      o.topic = value;
    else if (key == "--challenges")
      o.challenges = std::stoul(value);
    else if (key == "--plans")
      o.plans = std::stoul(value);
    else
      throw std::invalid_argument("unknown option " + key);
  }
  if (o.bootstrap.empty() || o.topic.empty())
    throw std::invalid_argument("--bootstrap and --topic are required");
  return o;
}

std::unique_ptr<RdKafka::Conf> conf(const std::map<std::string, std::string>& settings) {
  std::unique_ptr<RdKafka::Conf> c(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  for (const auto& [k, v] : settings) {
    if (c->set(k, v, error) != RdKafka::Conf::CONF_OK) throw std::runtime_error(k + ": " + error);
  }
  return c;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int fill(const Options& o) {
  const crp::ServiceConfig config = crp::load_service_config(o.config);
  std::vector<const crp::ProtocolRuntime*> protocols;
  for (const auto& [id, runtime] : config.protocols->all()) protocols.push_back(&runtime);
  if (protocols.empty()) throw std::runtime_error("no protocols in " + o.config);

  // The service's producer defaults (kafka_properties.cpp): no compression,
  // linger.ms 5, idempotent; not transactional, which changes no record.
  auto c = conf({{"bootstrap.servers", o.bootstrap},
                 {"enable.idempotence", "true"},
                 {"linger.ms", "5"},
                 {"partitioner", "murmur2_random"}});
  std::string error;
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(c.get(), error));
  if (!producer) throw std::runtime_error(error);

  const auto started = Clock::now();
  const crp::Instant base = *crp::parse_iso8601("2027-01-04T09:00:00Z");
  std::size_t records = 0, bytes = 0, timers = 0, plan_checks = 0;
  auto produce = [&](const std::string& key, const std::string& value) {
    for (;;) {
      const RdKafka::ErrorCode err = producer->produce(
          o.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
          const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0, nullptr);
      if (err == RdKafka::ERR_NO_ERROR) break;
      if (err != RdKafka::ERR__QUEUE_FULL) throw std::runtime_error(RdKafka::err2str(err));
      producer->poll(50);
    }
    ++records;
    bytes += value.size() + key.size();
    producer->poll(0);
  };
  for (std::size_t first = 0; first < o.plans; first += kChunk) {
    crp::Engine engine(config.protocols);
    crp::Effects ignored;
    for (std::size_t i = first; i < std::min(o.plans, first + kChunk); ++i) {
      crp::InboundEvent e;
      e.plan_id = "WAL-PLAN-" + std::to_string(i);
      e.case_id = "MOS-" + std::to_string(1000000 + i);
      e.protocol = "walsall";
      e.team = "team-" + std::to_string(i % 40);
      e.occurred_at = base;
      e.type = crp::EventType::conference_held;
      e.event_id = e.plan_id + "-1";
      e.conference_id = "ICPC-" + std::to_string(i);
      e.conference_kind = "initial";
      e.conference_at = base;
      e.plan_outcome = "cp_plan";
      engine.apply(e, base, ignored);
      e.type = crp::EventType::conference_scheduled;
      e.event_id = e.plan_id + "-2";
      e.conference_id = "RCPC-" + std::to_string(i);
      e.conference_kind = "review";
      e.conference_at = base + std::chrono::days(90 + static_cast<int>(i % 20));
      engine.apply(e, base, ignored);
      e.type = crp::EventType::core_group_held;
      e.event_id = e.plan_id + "-3";
      engine.apply(e, base, ignored);
      e.type = crp::EventType::child_seen;
      e.event_id = e.plan_id + "-4";
      engine.apply(e, base, ignored);
    }
    plan_checks += engine.watch().pending_checks();
    engine.watch().for_each([&](const crp::WatchedPlan& plan) {
      produce(std::string(crp::kPlanKeyPrefix) + plan.id, crp::encode_plan(plan));
    });
  }
  for (std::size_t first = 0; first < o.challenges; first += kChunk) {
    crp::Engine engine(config.protocols);
    crp::bench::build_challenges(engine, protocols, first, std::min(kChunk, o.challenges - first),
                                 base);
    timers += engine.pending_timers();
    engine.for_each([&](const crp::Challenge& ch) { produce(ch.id, crp::encode_challenge(ch)); });
  }
  if (producer->flush(120000) != RdKafka::ERR_NO_ERROR || producer->outq_len() != 0)
    throw std::runtime_error("not every record was delivered");
  std::printf(
      "{\"mode\":\"fill\",\"records\":%zu,\"bytes\":%zu,\"mean_value_bytes\":%zu,\"pending_"
      "timers\":%zu,\"plans\":%zu,\"plan_checks\":%zu,\"seconds\":%.2f}\n",
      records, bytes, records ? bytes / records : 0, timers, o.plans, plan_checks,
      seconds_since(started));
  return 0;
}

int read(const Options& o) {
  // As the restore consumer (kafka_properties.cpp): read_committed, manual
  // assignment, end of partition reported.
  auto c = conf({{"bootstrap.servers", o.bootstrap},
                 {"group.id", "changelog-fill-baseline"},
                 {"enable.auto.commit", "false"},
                 {"enable.partition.eof", "true"},
                 {"fetch.wait.max.ms", "20"},
                 {"isolation.level", "read_committed"}});
  std::string error;
  const auto started = Clock::now();
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(c.get(), error));
  if (!consumer) throw std::runtime_error(error);
  RdKafka::Metadata* raw = nullptr;
  std::unique_ptr<RdKafka::Topic> topic(
      RdKafka::Topic::create(consumer.get(), o.topic, nullptr, error));
  if (consumer->metadata(false, topic.get(), &raw, 10000) != RdKafka::ERR_NO_ERROR)
    throw std::runtime_error("no metadata for " + o.topic);
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  std::vector<RdKafka::TopicPartition*> parts;
  std::map<int, std::int64_t> end;
  for (const RdKafka::PartitionMetadata* p : *metadata->topics()->at(0)->partitions()) {
    std::int64_t low = 0, high = 0;
    consumer->query_watermark_offsets(o.topic, p->id(), &low, &high, 10000);
    if (high > low) {
      end[p->id()] = high;
      parts.push_back(
          RdKafka::TopicPartition::create(o.topic, p->id(), RdKafka::Topic::OFFSET_BEGINNING));
    }
  }
  consumer->assign(parts);
  RdKafka::TopicPartition::destroy(parts);
  std::set<int> pending;
  for (const auto& [p, e] : end) pending.insert(p);
  std::size_t records = 0, bytes = 0;
  while (!pending.empty()) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
    if (m->err() == RdKafka::ERR_NO_ERROR) {
      ++records;
      bytes += m->len() + m->key_len();
      if (m->offset() + 1 >= end[m->partition()]) pending.erase(m->partition());
    } else if (m->err() == RdKafka::ERR__PARTITION_EOF && m->offset() >= end[m->partition()]) {
      pending.erase(m->partition());
    }
  }
  const double took = seconds_since(started);
  consumer->close();
  std::printf("{\"mode\":\"read\",\"records\":%zu,\"bytes\":%zu,\"seconds\":%.2f}\n", records,
              bytes, took);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse(argc, argv);
    if (o.mode == "fill") return fill(o);
    if (o.mode == "read") return read(o);
    throw std::invalid_argument("mode must be fill or read");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "changelog_fill: %s\n", e.what());
    return 1;
  }
}
