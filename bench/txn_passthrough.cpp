// Bare librdkafka transactional pass-through: the baseline `crp-adapter run`
// is measured against (bench/kafka_throughput.sh). Modelled on librdkafka's
// examples/transactions.c, with the adapter's batching: one transaction per
// batch of at most --max-batch records or --commit-interval-ms from its first
// record, offsets sent with the consumer's group metadata. Each input record
// goes out unchanged (key, value, headers) to the same partition number of
// the output topic. SIGTERM/SIGINT commit the open batch and exit.
// --commit adaptive commits as the adapter's default does (docs/decisions/0052): once a
// transaction is open it takes only records already fetched, and commits when
// there are none: the latency floor of a transactional consume-produce loop.
//   txn_passthrough --bootstrap H:P --input T --output T --group G
//                   [--transactional-id ID] [--max-batch 1000] [--commit-interval-ms 100]
//                   [--commit interval|adaptive] [-X key=value ...]
#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
volatile std::sig_atomic_t stop = 0;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "txn_passthrough: %s\n", what.c_str());
  std::exit(1);
}

void check(RdKafka::Error* error, const char* what) {
  if (!error) return;
  std::string text = error->str();
  delete error;  // no abort/retry handling: a benchmark run that fails is re-run
  die(std::string(what) + ": " + text);
}

void set(RdKafka::Conf& conf, const std::string& key, const std::string& value) {
  std::string error;
  if (conf.set(key, value, error) != RdKafka::Conf::CONF_OK) die(key + ": " + error);
}

struct State {
  RdKafka::KafkaConsumer* consumer = nullptr;
  RdKafka::Producer* producer = nullptr;
  std::string output;
  bool open = false;
  std::size_t batch = 0;
  Clock::time_point deadline;
  std::map<std::pair<std::string, int32_t>, int64_t> positions;  // next offset to commit
  long long consumed = 0, commits = 0;

  void begin() {
    if (open) return;
    check(producer->begin_transaction(), "begin_transaction");
    open = true;
  }

  void commit() {
    if (!open) return;
    std::vector<RdKafka::TopicPartition*> offsets;
    for (const auto& [tp, offset] : positions)
      offsets.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, offset));
    if (!offsets.empty()) {
      std::unique_ptr<RdKafka::ConsumerGroupMetadata> group(consumer->groupMetadata());
      check(producer->send_offsets_to_transaction(offsets, group.get(), 30000),
            "send_offsets_to_transaction");
    }
    RdKafka::TopicPartition::destroy(offsets);
    check(producer->commit_transaction(30000), "commit_transaction");
    open = false;
    batch = 0;
    ++commits;
  }
};

class Rebalance : public RdKafka::RebalanceCb {
 public:
  explicit Rebalance(State& s) : s_(s) {}
  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& parts) override {
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      s_.commit();
      if (RdKafka::Error* e = consumer->incremental_assign(parts)) check(e, "incremental_assign");
    } else {
      if (!consumer->assignment_lost()) s_.commit();
      for (const RdKafka::TopicPartition* tp : parts)
        s_.positions.erase({tp->topic(), tp->partition()});
      if (RdKafka::Error* e = consumer->incremental_unassign(parts))
        check(e, "incremental_unassign");
    }
  }

 private:
  State& s_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string bootstrap, input, output, group, txn_id = "txn-passthrough";
  int max_batch = 1000, interval_ms = 100;
  bool adaptive = false;
  std::vector<std::pair<std::string, std::string>> extra;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--bootstrap")
      bootstrap = v;
    else if (k == "--input")
      input = v;
    else if (k == "--output")
      output = v;
    else if (k == "--group")
      group = v;
    else if (k == "--transactional-id")
      txn_id = v;
    else if (k == "--max-batch")
      max_batch = std::atoi(v.c_str());
    else if (k == "--commit-interval-ms")
      interval_ms = std::atoi(v.c_str());
    else if (k == "--commit" && (v == "adaptive" || v == "interval"))
      adaptive = v == "adaptive";
    else if (k == "-X" && v.find('=') != std::string::npos)
      extra.emplace_back(v.substr(0, v.find('=')), v.substr(v.find('=') + 1));
    else
      die("unknown argument " + k);
  }
  if (bootstrap.empty() || input.empty() || output.empty() || group.empty())
    die("usage: txn_passthrough --bootstrap H:P --input T --output T --group G [...]");
  std::signal(SIGTERM, [](int) { stop = 1; });
  std::signal(SIGINT, [](int) { stop = 1; });

  State s;
  s.output = output;
  Rebalance rebalance(s);
  std::string error;

  // The same settings crp-adapter gives its clients (kafka_properties.cpp).
  std::unique_ptr<RdKafka::Conf> pconf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  set(*pconf, "bootstrap.servers", bootstrap);
  set(*pconf, "transactional.id", txn_id);
  set(*pconf, "enable.idempotence", "true");
  set(*pconf, "transaction.timeout.ms", "10000");
  set(*pconf, "message.max.bytes", std::to_string(16 * 1024 * 1024));
  set(*pconf, "client.id", "txn-passthrough");
  std::unique_ptr<RdKafka::Conf> cconf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  set(*cconf, "bootstrap.servers", bootstrap);
  set(*cconf, "group.id", group);
  set(*cconf, "enable.auto.commit", "false");
  set(*cconf, "enable.auto.offset.store", "false");
  set(*cconf, "isolation.level", "read_committed");
  set(*cconf, "auto.offset.reset", "earliest");
  set(*cconf, "partition.assignment.strategy", "cooperative-sticky");
  set(*cconf, "client.id", "txn-passthrough");
  for (const auto& [k, v] : extra) {
    set(*pconf, k, v);
    set(*cconf, k, v);
  }
  if (cconf->set("rebalance_cb", &rebalance, error) != RdKafka::Conf::CONF_OK) die(error);

  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(pconf.get(), error));
  if (!producer) die("producer: " + error);
  check(producer->init_transactions(30000), "init_transactions");
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(cconf.get(), error));
  if (!consumer) die("consumer: " + error);
  s.consumer = consumer.get();
  s.producer = producer.get();
  if (RdKafka::ErrorCode err = consumer->subscribe({input}); err != RdKafka::ERR_NO_ERROR)
    die("subscribe: " + RdKafka::err2str(err));

  const auto interval = std::chrono::milliseconds(interval_ms);
  while (!stop) {
    producer->poll(0);
    // Block at most 50 ms (as the adapter's step does), never past the batch deadline.
    auto until = Clock::now() + std::chrono::milliseconds(50);
    if (s.open && s.deadline < until) until = s.deadline;
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    bool drained = false;
    if (wait.count() > 0) {
      const bool no_wait = adaptive && s.open;
      std::unique_ptr<RdKafka::Message> m(
          consumer->consume(no_wait ? 0 : static_cast<int>(wait.count())));
      drained = no_wait && m->err() == RdKafka::ERR__TIMED_OUT;
      if (m->err() == RdKafka::ERR_NO_ERROR) {
        if (!s.open) {
          s.begin();
          s.deadline = Clock::now() + interval;
        }
        std::unique_ptr<RdKafka::Headers> headers;
        if (const RdKafka::Headers* h = m->headers())
          headers.reset(RdKafka::Headers::create(h->get_all()));
        for (;;) {
          const RdKafka::ErrorCode err = producer->produce(
              output, m->partition(), RdKafka::Producer::RK_MSG_COPY, m->payload(), m->len(),
              m->key_pointer(), m->key_len(), 0, headers.get(), nullptr);
          if (err == RdKafka::ERR_NO_ERROR) {
            headers.release();  // owned by librdkafka now
            break;
          }
          if (err != RdKafka::ERR__QUEUE_FULL) die("produce: " + RdKafka::err2str(err));
          producer->poll(50);
        }
        s.positions[{m->topic_name(), m->partition()}] = m->offset() + 1;
        ++s.batch;
        ++s.consumed;
      } else if (m->err() != RdKafka::ERR__TIMED_OUT && m->err() != RdKafka::ERR__PARTITION_EOF) {
        if (m->err() == RdKafka::ERR__FATAL) die("consumer: " + m->errstr());
        std::fprintf(stderr, "txn_passthrough: consumer error: %s\n", m->errstr().c_str());
      }
    }
    if (s.open &&
        (drained || s.batch >= static_cast<std::size_t>(max_batch) || Clock::now() >= s.deadline))
      s.commit();
  }
  s.commit();
  consumer->close();
  std::fprintf(stderr, "txn_passthrough: consumed=%lld commits=%lld\n", s.consumed, s.commits);
  return 0;
}
