#include "adapter/runtime/webhooks/dispatcher.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "adapter/json/json.h"
#include "adapter/runtime/admin/metrics.h"
#include "adapter/runtime/kafka/event_logger.h"
#include "adapter/runtime/kafka/json_log.h"
#include "adapter/runtime/kafka/kafka_properties.h"
#include "adapter/runtime/kafka/rdkafka_handles.h"
#include "adapter/runtime/kafka/topic_setup.h"
#include "adapter/runtime/webhooks/kafka_clients.h"
#include "adapter/runtime/webhooks/offset_tracker.h"
#include "adapter/runtime/webhooks/pending_store.h"
#include "adapter/runtime/webhooks/redelivery.h"
#include "connectors/webhooks/attempt.h"
#include "connectors/webhooks/delivery.h"
#include "connectors/webhooks/https_client.h"

namespace crp::webhooks {
namespace {

using kafka::LogLevel;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr auto kTick = milliseconds(5);
constexpr auto kCommitEvery = milliseconds(200);
constexpr int kMaxRecordsPerTick = 500;
// Deliveries held in memory (queued and pending) before the outbox is paused.
constexpr std::size_t kMaxHeld = 200'000;
constexpr auto kFlushTimeout = milliseconds(30'000);

Instant now_instant() {
  return std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
}

// The DLQ message: status, reason and (printable) excerpt of the partner's
// response body. Our request body, which carries case data, is never quoted.
std::string dead_letter_message(const std::string& reason, const AttemptResult* r) {
  std::string m = reason;
  if (r) {
    m += ": " + describe(*r);
    if (!r->body_excerpt.empty()) {
      std::string excerpt;
      for (char c : r->body_excerpt.substr(0, 200)) excerpt += (c >= 0x20 && c < 0x7f) ? c : ' ';
      m += "; response body: " + excerpt;
    }
  }
  return m;
}

struct Origin {
  std::int32_t partition;
  std::int64_t offset;
  std::uint64_t generation;  // of the partition's tracker; a stale origin settles nothing
  bool settled = false;
};

struct Item {
  Delivery d;
  std::shared_ptr<Origin> origin;  // null: restored from the pending topic, already durable
  bool persisted = false;          // a pending record exists (or is being written)
  bool in_flight = false;
};

using LaneKey = std::pair<std::string, std::string>;  // partner, challenge

struct Lane {
  std::uint64_t id = 0;
  std::int32_t partition = 0;  // of the outbox and pending topics
  std::deque<Item> items;      // head: being attempted or waiting for its retry
};

struct PartnerMetrics {
  admin::Counter* attempts = nullptr;
  admin::Counter* delivered = nullptr;
  admin::Counter* failures = nullptr;
  admin::Counter* dead_lettered = nullptr;
  admin::Histogram* latency = nullptr;
};

struct PartnerState {
  const Partner* partner = nullptr;
  std::unique_ptr<PartnerClient> client;
  bool disabled = false;
  int consecutive_failures = 0;
  std::optional<SteadyClock::time_point> open_until;  // circuit open until then
  bool probing = false;                               // half-open: one attempt let through
  PartnerMetrics metrics;
};

}  // namespace

struct Dispatcher::Impl final : RdKafka::RebalanceCb, RdKafka::DeliveryReportCb {
  Impl(const ServiceConfig& c, admin::MetricsRegistry* m) : config(c), metrics(m) {}

  const ServiceConfig& config;
  admin::MetricsRegistry* metrics;
  std::thread thread;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> failed{false};

  // Everything below is used on the dispatcher thread only.
  boost::asio::io_context io;
  std::unique_ptr<boost::asio::steady_timer> tick_timer;
  kafka::EventLogger consumer_events{"webhooks-consumer"};
  kafka::EventLogger producer_events{"webhooks-producer"};
  kafka::ConsumerPtr consumer;
  kafka::ProducerPtr producer;
  std::unique_ptr<PendingReader> pending_reader;
  std::map<std::string, PartnerState> partners;
  std::map<LaneKey, Lane> lanes;
  std::multimap<Instant, LaneKey> timers;
  std::set<std::string> held;  // pending_key() of every delivery in a lane
  std::map<std::int32_t, OffsetTracker> trackers;
  std::map<std::int32_t, std::uint64_t> generations;
  std::map<std::int32_t, std::int64_t> committed;
  std::set<std::int32_t> assigned;
  std::map<std::uint64_t, std::function<void(RdKafka::ErrorCode)>> acks;
  std::uint64_t next_token = 1, next_lane_id = 1;
  std::mt19937_64 rng{std::random_device{}()};
  SteadyClock::time_point next_commit{};
  bool stopping = false, paused = false;
  std::exception_ptr callback_error;

  // ---- start and stop -----------------------------------------------------

  void start() {
    std::string error;
    kafka::ConfPtr pconf = client_conf(config,
                                       {{"client.id", "crp-adapter-webhooks"},
                                        {"enable.idempotence", "true"},
                                        {"acks", "all"},
                                        {"linger.ms", "5"}},
                                       &producer_events);
    if (pconf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(this), error) !=
        RdKafka::Conf::CONF_OK)
      throw std::logic_error(error);
    producer.reset(RdKafka::Producer::create(pconf.get(), error));
    if (!producer) throw std::runtime_error("cannot create the webhook producer: " + error);
    // The service checks (or creates) its topics too, on its own thread; the
    // outbox must exist before the pending topic copies its partition count.
    kafka::prepare_topics(config, *producer, kafka::kDefaultMaxMessageBytes);
    prepare_webhook_topics(config, *producer);
    kafka::ConfPtr cconf = client_conf(config,
                                       {{"group.id", config.group_id + "-webhooks"},
                                        {"client.id", "crp-adapter-webhooks"},
                                        {"enable.auto.commit", "false"},
                                        {"enable.auto.offset.store", "false"},
                                        {"isolation.level", "read_committed"},
                                        {"auto.offset.reset", "earliest"},
                                        {"partition.assignment.strategy", "range"},
                                        // A partner hears of a decision within tens of
                                        // ms, not librdkafka's default 500 ms fetch wait.
                                        {"fetch.wait.max.ms", "50"}},
                                       &consumer_events);
    if (cconf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this), error) !=
        RdKafka::Conf::CONF_OK)
      throw std::logic_error(error);
    consumer.reset(RdKafka::KafkaConsumer::create(cconf.get(), error));
    if (!consumer) throw std::runtime_error("cannot create the webhook consumer: " + error);
    pending_reader = std::make_unique<PendingReader>(config);
    for (const Partner& p : config.webhooks.partners->partners) {
      PartnerState& s = partners[p.id];
      s.partner = &p;
      s.client =
          std::make_unique<PartnerClient>(io, p);  // loads the CA bundle now: errors before running
      if (metrics) {
        s.metrics.attempts =
            &metrics
                 ->counter("crp_webhook_attempts_total", "Webhook delivery attempts", {"partner"})
                 .with({p.id});
        s.metrics.delivered =
            &metrics
                 ->counter("crp_webhook_delivered_total",
                           "Webhook deliveries acknowledged with 2xx", {"partner"})
                 .with({p.id});
        s.metrics.failures = &metrics
                                  ->counter("crp_webhook_failures_total",
                                            "Webhook attempts that failed", {"partner"})
                                  .with({p.id});
        s.metrics.dead_lettered = &metrics
                                       ->counter("crp_webhook_dead_lettered_total",
                                                 "Webhook deliveries dead-lettered", {"partner"})
                                       .with({p.id});
        s.metrics.latency =
            &metrics
                 ->histogram("crp_webhook_latency_seconds", "Webhook attempt latency", {"partner"})
                 .with({p.id});
      }
    }
    if (RdKafka::ErrorCode err = consumer->subscribe({config.topics.partner_outbox});
        err != RdKafka::ERR_NO_ERROR)
      throw std::runtime_error("cannot subscribe to " + config.topics.partner_outbox + ": " +
                               RdKafka::err2str(err));
    tick_timer = std::make_unique<boost::asio::steady_timer>(io);
    kafka::log(LogLevel::info, "webhook dispatcher running",
               {{"group", config.group_id + "-webhooks"},
                {"outbox", config.topics.partner_outbox},
                {"pending", config.webhooks.pending_topic},
                {"partners", partners.size()}});
    thread = std::thread([this] { run(); });
  }

  void run() {
    try {
      boost::asio::post(io, [this] { tick(); });
      io.run();
    } catch (const std::exception& e) {
      failed = true;
      stopping = true;  // no flush-and-commit from the revocation that close() causes
      kafka::log(LogLevel::error, "webhook dispatcher stopped on an error", {{"detail", e.what()}});
      // The service must not run on without its dispatcher: stop it, so a
      // supervisor restarts the process (outbox offsets stay where they were).
      std::raise(SIGTERM);
    }
    try {
      partners.clear();
      if (consumer) consumer->close();
    } catch (const std::exception& e) {
      kafka::log(LogLevel::warning, "webhook consumer close failed", {{"detail", e.what()}});
    }
  }

  // ---- the loop -------------------------------------------------------------

  void tick() {
    if (callback_error) std::rethrow_exception(std::exchange(callback_error, nullptr));
    if (stop_requested && !stopping) begin_stop();
    if (stopping) {
      if (finish_stop()) return;  // done: io.run() returns when nothing is left
    } else {
      consume();
    }
    producer->poll(0);
    fire_timers();
    if (SteadyClock::now() >= next_commit) commit(false);
    tick_timer->expires_after(kTick);
    tick_timer->async_wait([this](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  }

  void consume() {
    const bool full = held.size() >= kMaxHeld;
    if (full != paused) set_paused(full);
    for (int i = 0; i < kMaxRecordsPerTick; ++i) {
      kafka::MessagePtr m(consumer->consume(0));
      if (callback_error) std::rethrow_exception(std::exchange(callback_error, nullptr));
      if (m->err() == RdKafka::ERR__TIMED_OUT || m->err() == RdKafka::ERR__PARTITION_EOF) return;
      if (m->err() != RdKafka::ERR_NO_ERROR) {
        kafka::log(LogLevel::warning, "webhook consumer error", {{"error", m->errstr()}});
        return;
      }
      on_outbox_record(*m);
    }
  }

  void set_paused(bool pause) {
    kafka::TopicPartitions list;
    for (std::int32_t p : assigned)
      list.add(config.topics.partner_outbox, p, RdKafka::Topic::OFFSET_INVALID);
    if (list.empty()) return;
    if (pause) {
      consumer->pause(list.get());
      kafka::log(LogLevel::warning, "outbox paused: too many deliveries held",
                 {{"held", held.size()}});
    } else {
      consumer->resume(list.get());
    }
    paused = pause;
  }

  // ---- outbox records ---------------------------------------------------------

  void on_outbox_record(RdKafka::Message& m) {
    const std::int32_t p = m.partition();
    const std::int64_t offset = m.offset();
    auto tracker = trackers.find(p);
    if (tracker == trackers.end()) return;  // not (or no longer) ours
    std::string value =
        m.payload() ? std::string(static_cast<const char*>(m.payload()), m.len()) : std::string();
    std::vector<Delivery> deliveries;
    std::string problem;
    try {
      if (std::optional<Delivery> again = parse_redelivery(value, problem)) {
        deliveries.push_back(std::move(*again));
      } else if (problem.empty()) {
        deliveries = fan_out(value, *config.webhooks.partners, config.source);
      }
    } catch (const std::exception& e) {
      problem = e.what();
    }
    if (!problem.empty()) {
      // Our own outbox should never hold this; it is logged (no value: it can
      // carry case data) and skipped rather than stopping every partner.
      kafka::log(LogLevel::error, "outbox record cannot be delivered; skipped",
                 {{"topic", config.topics.partner_outbox},
                  {"partition", p},
                  {"offset", offset},
                  {"reason", problem}});
    }
    tracker->second.consumed(offset, static_cast<int>(deliveries.size()));
    for (Delivery& d : deliveries) {
      auto origin = std::make_shared<Origin>(Origin{p, offset, generations[p]});
      admit(std::move(d), p, origin);
    }
  }

  void settle(const std::shared_ptr<Origin>& origin) {
    if (!origin || origin->settled) return;
    origin->settled = true;
    auto g = generations.find(origin->partition);
    auto t = trackers.find(origin->partition);
    if (g == generations.end() || g->second != origin->generation || t == trackers.end()) return;
    t->second.settled(origin->offset);
  }

  void admit(Delivery d, std::int32_t partition, const std::shared_ptr<Origin>& origin) {
    auto ps = partners.find(d.partner_id);
    if (ps == partners.end()) {
      kafka::log(LogLevel::error, "delivery for a partner that is not configured; dropped",
                 {{"partner", d.partner_id}, {"webhook_id", d.webhook_id}});
      settle(origin);
      return;
    }
    if (held.count(pending_key(d))) {
      settle(origin);  // already pending (an outbox record read again after a restart)
      return;
    }
    if (ps->second.disabled) {
      dead_letter(Item{std::move(d), origin, false, false}, "partner disabled (HTTP 410 Gone)",
                  nullptr);
      return;
    }
    const LaneKey key{d.partner_id, d.challenge_id};
    Lane& lane = lanes[key];
    if (lane.id == 0) lane.id = next_lane_id++, lane.partition = partition;
    // Due now: fan_out() dates a delivery by its decision's occurred_at, which
    // says nothing about when to call (it may even lie ahead, in event time).
    d.next_attempt_at = now_instant();
    held.insert(pending_key(d));
    lane.items.push_back(Item{std::move(d), origin, false, false});
    Item& item = lane.items.back();
    if (lane.items.size() == 1 && circuit_allows(ps->second)) {
      attempt(key, lane);
      return;
    }
    // Behind another delivery of this challenge, or the circuit is open:
    // durable now, so the outbox can move on.
    persist(lane, item);
    if (lane.items.size() == 1) schedule(key, lane);
  }

  // ---- attempts -----------------------------------------------------------------

  bool circuit_allows(PartnerState& s) {
    if (!s.open_until) return true;
    if (SteadyClock::now() < *s.open_until) return false;
    return !s.probing;  // half-open: one probe at a time
  }

  void attempt(const LaneKey& key, Lane& lane) {
    PartnerState& s = partners.at(key.first);
    Item& item = lane.items.front();
    item.in_flight = true;
    ++item.d.attempt;
    if (s.open_until) s.probing = true;
    if (s.metrics.attempts) s.metrics.attempts->inc();
    const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
    OutgoingRequest request = make_request(*s.partner, item.d.webhook_id, now_s, item.d.body);
    s.client->post(std::move(request),
                   [this, key, lane_id = lane.id, webhook_id = item.d.webhook_id](AttemptResult r) {
                     try {
                       on_result(key, lane_id, webhook_id, r);
                     } catch (...) {
                       callback_error = std::current_exception();
                     }
                   });
  }

  void on_result(const LaneKey& key, std::uint64_t lane_id, const std::string& webhook_id,
                 const AttemptResult& r) {
    PartnerState& s = partners.at(key.first);
    if (s.metrics.latency)
      s.metrics.latency->observe(std::chrono::duration<double>(r.latency).count());
    auto it = lanes.find(key);
    if (it == lanes.end() || it->second.id != lane_id || it->second.items.empty() ||
        it->second.items.front().d.webhook_id != webhook_id ||
        !it->second.items.front().in_flight) {
      return;  // the partition was revoked meanwhile: its new owner delivers it
    }
    Lane& lane = it->second;
    Item& item = lane.items.front();
    item.in_flight = false;
    s.probing = false;
    const Verdict verdict = classify(r);
    if (verdict == Verdict::delivered) {
      s.consecutive_failures = 0;
      s.open_until.reset();
      if (s.metrics.delivered) s.metrics.delivered->inc();
      if (item.d.attempt > 1)
        kafka::log(
            LogLevel::info, "webhook delivered after retries",
            {{"partner", key.first}, {"webhook_id", webhook_id}, {"attempts", item.d.attempt}});
      finish_head(key, lane);
      return;
    }
    if (s.metrics.failures) s.metrics.failures->inc();
    if (s.disabled) {
      dead_letter_head(key, lane, "partner disabled", &r);
      return;
    }
    if (verdict == Verdict::dead_letter) {
      // The partner is up and answered: a 4xx says nothing about its health.
      dead_letter_head(key, lane, "rejected by the partner", &r);
      return;
    }
    if (++s.consecutive_failures >= s.partner->breaker.failures_to_open) {
      if (!s.open_until || SteadyClock::now() >= *s.open_until)
        kafka::log(LogLevel::warning, "partner circuit opened",
                   {{"partner", key.first},
                    {"consecutive_failures", s.consecutive_failures},
                    {"open_ms", s.partner->breaker.open_for.count()}});
      s.open_until = SteadyClock::now() + s.partner->breaker.open_for;
    }
    if (verdict == Verdict::partner_gone) {
      disable_partner(s, r);
      return;
    }
    std::optional<milliseconds> delay = next_delay(s.partner->retry, item.d.attempt, r, rng);
    if (!delay) {
      dead_letter_head(
          key, lane,
          "retry schedule exhausted after " + std::to_string(item.d.attempt) + " attempts", &r);
      return;
    }
    item.d.last_error = describe(r);
    item.d.next_attempt_at = now_instant() + *delay;
    kafka::log(LogLevel::warning, "webhook attempt failed; retry scheduled",
               {{"partner", key.first},
                {"webhook_id", webhook_id},
                {"attempt", item.d.attempt},
                {"error", item.d.last_error},
                {"retry_in_ms", delay->count()}});
    persist(lane, item);
    schedule(key, lane);
  }

  // The head was delivered: remove it (and its pending record), go on with the next.
  void finish_head(const LaneKey& key, Lane& lane) {
    Item item = std::move(lane.items.front());
    lane.items.pop_front();
    held.erase(pending_key(item.d));
    settle(item.origin);
    if (item.persisted) write_pending(lane.partition, item.d, true, nullptr);
    next(key, lane);
  }

  void next(const LaneKey& key, Lane& lane) {
    if (lane.items.empty()) {
      lanes.erase(key);
      return;
    }
    Item& head = lane.items.front();
    if (head.in_flight) return;
    if (head.d.next_attempt_at <= now_instant() && circuit_allows(partners.at(key.first))) {
      attempt(key, lane);
    } else {
      schedule(key, lane);
    }
  }

  void schedule(const LaneKey& key, Lane& lane) {
    Instant at = lane.items.front().d.next_attempt_at;
    PartnerState& s = partners.at(key.first);
    if (s.open_until) {
      auto wait = std::chrono::duration_cast<milliseconds>(*s.open_until - SteadyClock::now());
      at = std::max(at, now_instant() + std::max(wait, milliseconds(50)));
    }
    timers.emplace(at, key);
  }

  void fire_timers() {
    const Instant now = now_instant();
    std::vector<LaneKey> due;
    while (!timers.empty() && timers.begin()->first <= now) {
      due.push_back(timers.begin()->second);
      timers.erase(timers.begin());
    }
    for (const LaneKey& key : due) {
      auto it = lanes.find(key);
      if (it == lanes.end() || it->second.items.empty() || it->second.items.front().in_flight)
        continue;
      if (partners.at(key.first).disabled) continue;
      if (stopping) continue;  // nothing new starts while stopping; it stays pending
      next(key, it->second);
    }
  }

  // ---- durable writes -----------------------------------------------------------

  // Runs `done` on this thread (from producer->poll) when the write is acknowledged.
  void produce(const std::string& topic, std::int32_t partition, const std::string& key,
               const std::string* value, std::vector<std::pair<std::string, std::string>> headers,
               std::function<void(RdKafka::ErrorCode)> done) {
    RdKafka::Headers* h = nullptr;
    if (!headers.empty()) {
      h = RdKafka::Headers::create();
      for (const auto& [k, v] : headers) h->add(k, v);
    }
    const std::uint64_t token = next_token++;
    acks[token] = std::move(done);
    for (;;) {
      RdKafka::ErrorCode err = producer->produce(topic, partition, RdKafka::Producer::RK_MSG_COPY,
                                                 value ? const_cast<char*>(value->data()) : nullptr,
                                                 value ? value->size() : 0, key.data(), key.size(),
                                                 0, h, reinterpret_cast<void*>(token));
      if (err == RdKafka::ERR_NO_ERROR) return;
      if (err == RdKafka::ERR__QUEUE_FULL) {
        producer->poll(10);
        continue;
      }
      delete h;  // on failure the headers stay ours (librdkafka docs)
      acks.erase(token);
      throw std::runtime_error("cannot produce to " + topic + ": " + RdKafka::err2str(err));
    }
  }

  void dr_cb(RdKafka::Message& m) override {
    const auto token = reinterpret_cast<std::uint64_t>(m.msg_opaque());
    auto it = acks.find(token);
    if (it == acks.end()) return;
    auto done = std::move(it->second);
    acks.erase(it);
    try {
      done(m.err());
    } catch (...) {
      callback_error = std::current_exception();
    }
  }

  // A put (or a tombstone) on the pending topic; `on_durable` after acks=all.
  void write_pending(std::int32_t partition, const Delivery& d, bool tombstone,
                     std::function<void()> on_durable) {
    const std::string value = tombstone ? std::string() : encode(d);
    const std::string key = pending_key(d);
    produce(config.webhooks.pending_topic, partition, key, tombstone ? nullptr : &value, {},
            [this, partition, d, tombstone,
             on_durable = std::move(on_durable)](RdKafka::ErrorCode err) {
              if (err != RdKafka::ERR_NO_ERROR) {
                // Not durable: the outbox offset stays put; after the restart it
                // is read again. Surface it, stop, let the supervisor restart.
                throw std::runtime_error("cannot write to " + config.webhooks.pending_topic + ": " +
                                         RdKafka::err2str(err));
              }
              if (on_durable) on_durable();
            });
  }

  void persist(Lane& lane, Item& item) {
    item.persisted = true;
    std::shared_ptr<Origin> origin = item.origin;
    write_pending(lane.partition, item.d, false, [this, origin] { settle(origin); });
  }

  void dead_letter_head(const LaneKey& key, Lane& lane, const std::string& reason,
                        const AttemptResult* r) {
    Item item = std::move(lane.items.front());
    lane.items.pop_front();
    held.erase(pending_key(item.d));
    const std::int32_t partition = lane.partition;
    dead_letter(std::move(item), reason, r, partition);
    next(key, lane);
  }

  void dead_letter(Item item, const std::string& reason, const AttemptResult* r,
                   std::int32_t partition = -1) {
    PartnerState& s = partners.at(item.d.partner_id);
    if (s.metrics.dead_lettered) s.metrics.dead_lettered->inc();
    const std::string message = dead_letter_message(reason, r);
    kafka::log(LogLevel::error, "webhook delivery dead-lettered",
               {{"partner", item.d.partner_id},
                {"webhook_id", item.d.webhook_id},
                {"attempts", item.d.attempt},
                {"reason", message}});
    std::vector<std::pair<std::string, std::string>> headers = {
        {"__connect.errors.topic", config.topics.partner_outbox},
        {"__connect.errors.exception.class.name", "crp.WebhookDeliveryFailed"},
        {"__connect.errors.exception.message", message},
        {"crp.webhook.partner", item.d.partner_id},
        {"crp.webhook.id", item.d.webhook_id},
        {"crp.webhook.attempts", std::to_string(item.d.attempt)}};
    if (r && r->status) headers.push_back({"crp.webhook.status", std::to_string(r->status)});
    const std::string value = encode(item.d);
    produce(config.topics.dlq, RdKafka::Topic::PARTITION_UA, item.d.challenge_id, &value,
            std::move(headers),
            [this, origin = item.origin, persisted = item.persisted, d = item.d,
             partition](RdKafka::ErrorCode err) {
              if (err != RdKafka::ERR_NO_ERROR)
                throw std::runtime_error("cannot write to " + config.topics.dlq + ": " +
                                         RdKafka::err2str(err));
              settle(origin);
              if (persisted && partition >= 0) write_pending(partition, d, true, nullptr);
            });
  }

  void disable_partner(PartnerState& s, const AttemptResult& r) {
    const std::string& id = s.partner->id;
    if (!s.disabled) {
      s.disabled = true;
      kafka::log(
          LogLevel::error,
          "partner disabled: its endpoint answered 410 Gone; its deliveries are dead-lettered",
          {{"partner", id}, {"host", s.partner->endpoint.host}});
      rapidjson::StringBuffer b;
      rapidjson::Writer<rapidjson::StringBuffer> w(b);
      const std::string time = format_iso8601(now_instant());
      w.StartObject();
      w.Key("specversion"), w.String("1.0");
      w.Key("id"), w.String("partner.disabled:" + id + ":" + time);
      w.Key("source"), w.String(config.source);
      w.Key("type"), w.String("uk.gov.crp.partner.disabled");
      w.Key("subject"), w.String(id);
      w.Key("time"), w.String(time);
      w.Key("datacontenttype"), w.String("application/json");
      w.Key("data");
      w.StartObject();
      w.Key("partner_id"), w.String(id);
      w.Key("kind"), w.String(s.partner->kind);
      w.Key("host"), w.String(s.partner->endpoint.host);
      w.Key("status"), w.Int(r.status);
      w.Key("reason"), w.String("endpoint answered 410 Gone");
      w.EndObject();
      w.EndObject();
      const std::string event(b.GetString(), b.GetSize());
      produce(config.webhooks.operations_topic, RdKafka::Topic::PARTITION_UA, id, &event,
              {{"content-type", "application/cloudevents+json"}}, [id](RdKafka::ErrorCode err) {
                if (err != RdKafka::ERR_NO_ERROR)
                  kafka::log(LogLevel::error, "cannot write the partner.disabled event",
                             {{"partner", id}, {"error", RdKafka::err2str(err)}});
              });
    }
    std::vector<LaneKey> keys;
    for (auto& [key, lane] : lanes)
      if (key.first == id) keys.push_back(key);
    for (const LaneKey& key : keys) {
      Lane& lane = lanes.at(key);
      std::deque<Item> keep;
      const bool head_in_flight = !lane.items.empty() && lane.items.front().in_flight;
      while (!lane.items.empty()) {
        if (head_in_flight && keep.empty()) {
          keep.push_back(std::move(lane.items.front()));  // its result dead-letters it
          lane.items.pop_front();
          continue;
        }
        Item item = std::move(lane.items.front());
        lane.items.pop_front();
        held.erase(pending_key(item.d));
        dead_letter(std::move(item), "partner disabled", &r, lane.partition);
      }
      lane.items = std::move(keep);
      if (lane.items.empty()) lanes.erase(key);
    }
  }

  // ---- offsets and rebalancing -----------------------------------------------------

  void commit(bool sync, const std::set<std::int32_t>* only = nullptr) {
    next_commit = SteadyClock::now() + kCommitEvery;
    kafka::TopicPartitions offsets;
    std::vector<std::pair<std::int32_t, std::int64_t>> moved;
    for (auto& [p, tracker] : trackers) {
      if (only && !only->count(p)) continue;
      std::optional<std::int64_t> at = tracker.committable();
      if (!at) continue;
      auto c = committed.find(p);
      if (c != committed.end() && c->second >= *at) continue;
      offsets.add(config.topics.partner_outbox, p, *at);
      moved.push_back({p, *at});
    }
    if (offsets.empty()) return;
    RdKafka::ErrorCode err =
        sync ? consumer->commitSync(offsets.get()) : consumer->commitAsync(offsets.get());
    if (err != RdKafka::ERR_NO_ERROR) {
      kafka::log(LogLevel::warning, "outbox commit failed; retried",
                 {{"error", RdKafka::err2str(err)}});
      return;
    }
    for (const auto& [p, at] : moved) committed[p] = at;
  }

  void rebalance_cb(RdKafka::KafkaConsumer* c, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    try {
      if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
        on_assign(partitions);
        c->assign(partitions);
      } else {
        on_revoke(partitions);
        c->unassign();
      }
    } catch (...) {
      callback_error = std::current_exception();
    }
  }

  void on_assign(std::vector<RdKafka::TopicPartition*>& partitions) {
    std::vector<std::int32_t> ps;
    for (auto* tp : partitions) ps.push_back(tp->partition());
    // Pending deliveries first: they are older than anything left on the outbox.
    std::map<std::int32_t, std::vector<Delivery>> restored = pending_reader->read(ps);
    for (std::int32_t p : ps) {
      assigned.insert(p);
      trackers[p] = OffsetTracker{};
      ++generations[p];
      committed.erase(p);
      auto& list = restored[p];
      std::stable_sort(list.begin(), list.end(), [](const Delivery& a, const Delivery& b) {
        return std::tie(a.created_at, a.seq) < std::tie(b.created_at, b.seq);
      });
      for (Delivery& d : list) {
        if (!partners.count(d.partner_id)) {
          kafka::log(LogLevel::warning,
                     "pending delivery for a partner no longer configured; left pending",
                     {{"partner", d.partner_id}, {"webhook_id", d.webhook_id}});
          continue;
        }
        const LaneKey key{d.partner_id, d.challenge_id};
        Lane& lane = lanes[key];
        if (lane.id == 0) lane.id = next_lane_id++, lane.partition = p;
        held.insert(pending_key(d));
        lane.items.push_back(Item{std::move(d), nullptr, true, false});
      }
    }
    for (auto& [key, lane] : lanes) {
      if (!lane.items.empty() && !lane.items.front().in_flight &&
          std::count(ps.begin(), ps.end(), lane.partition))
        timers.emplace(lane.items.front().d.next_attempt_at, key);
    }
  }

  void on_revoke(std::vector<RdKafka::TopicPartition*>& partitions) {
    std::set<std::int32_t> ps;
    for (auto* tp : partitions) ps.insert(tp->partition());
    if (!stopping) flush_and_commit(&ps);
    for (auto it = lanes.begin(); it != lanes.end();) {
      if (ps.count(it->second.partition)) {
        for (const Item& item : it->second.items) held.erase(pending_key(item.d));
        it = lanes.erase(it);
      } else {
        ++it;
      }
    }
    for (std::int32_t p : ps) {
      assigned.erase(p);
      trackers.erase(p);
      ++generations[p];
      committed.erase(p);
    }
  }

  void flush_and_commit(const std::set<std::int32_t>* only) {
    const auto until = SteadyClock::now() + kFlushTimeout;
    while (!acks.empty() && SteadyClock::now() < until) producer->poll(50);
    commit(true, only);
  }

  // ---- stopping -------------------------------------------------------------------

  SteadyClock::time_point stop_deadline{};

  void begin_stop() {
    stopping = true;
    milliseconds longest{0};
    for (const auto& [id, s] : partners) longest = std::max(longest, s.partner->timeout);
    stop_deadline = SteadyClock::now() + longest + milliseconds(2000);
    kafka::log(LogLevel::info, "webhook dispatcher stopping: finishing attempts in flight",
               {{"held", held.size()}});
  }

  // True when everything is durable and committed.
  bool finish_stop() {
    producer->poll(0);
    bool in_flight = false;
    for (const auto& [key, lane] : lanes)
      in_flight = in_flight || (!lane.items.empty() && lane.items.front().in_flight);
    if (in_flight && SteadyClock::now() < stop_deadline) return false;
    // Whatever is not yet durable is written to the pending topic now.
    std::size_t persisted = 0;
    for (auto& [key, lane] : lanes) {
      for (Item& item : lane.items) {
        if (item.persisted || !item.origin || item.origin->settled) continue;
        item.in_flight = false;
        persist(lane, item);
        ++persisted;
      }
    }
    flush_and_commit(nullptr);
    kafka::log(LogLevel::info, "webhook dispatcher stopped",
               {{"persisted_at_stop", persisted}, {"unacknowledged_writes", acks.size()}});
    tick_timer.reset();
    partners.clear();  // closes the connections; their handlers are dropped with the io_context
    consumer->close();
    consumer.reset();
    io.stop();
    return true;
  }
};

Dispatcher::Dispatcher(const ServiceConfig& config, admin::MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(config, metrics)) {}

Dispatcher::~Dispatcher() {
  stop();
}

void Dispatcher::start() {
  impl_->start();
}

void Dispatcher::stop() {
  impl_->stop_requested = true;
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool Dispatcher::failed() const {
  return impl_->failed;
}

}  // namespace crp::webhooks
