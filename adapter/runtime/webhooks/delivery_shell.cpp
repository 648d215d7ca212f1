#include "adapter/runtime/webhooks/delivery_shell.h"

#include <boost/asio/post.hpp>
#include <csignal>
#include <random>
#include <stdexcept>

#include "adapter/infra/kafka/json_log.h"
#include "adapter/infra/kafka/kafka_properties.h"
#include "adapter/infra/kafka/topic_setup.h"
#include "adapter/runtime/webhooks/delivery_shell_impl.h"
#include "adapter/runtime/webhooks/kafka_clients.h"

namespace crp::webhooks {
namespace {

using kafka::LogLevel;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr auto kTick = milliseconds(5);
constexpr auto kCommitEvery = milliseconds(200);
constexpr int kMaxRecordsPerTick = 500;
// Jobs held in memory (queued and pending) before the input is paused.
constexpr std::size_t kMaxHeld = 200'000;
constexpr auto kFlushTimeout = milliseconds(30'000);

}  // namespace

Instant now_instant() {
  return std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
}

DeliveryShell::Impl::Impl(const ServiceConfig& c, ShellSpec s, admin::MetricsRegistry* m)
    : config(c),
      spec(std::move(s)),
      metrics(m),
      consumer_events(spec.name + "-consumer"),
      producer_events(spec.name + "-producer") {}

void DeliveryShell::Impl::start() {
  producer = shell_producer(config, spec.name, this, &producer_events);
  // The service checks (or creates) its topics too, on its own thread; the
  // input must exist before the pending topic copies its partition count.
  kafka::prepare_topics(config, *producer, kafka::kDefaultMaxMessageBytes);
  pending_partitions = prepare_delivery_topics(
      config, *producer, spec.input_topic, spec.input_pointer, spec.pending_topic,
      spec.pending_pointer, spec.operations_topic, spec.operations_pointer);
  consumer = shell_consumer(config, spec.name, this, &consumer_events);
  pending_reader = std::make_unique<PendingReader>(config, spec.pending_topic);
  engine = std::make_unique<delivery::DeliveryEngine>(spec.policies, std::random_device{}());
  channels = spec.make_channels(io);  // loads CA bundles now: errors before running
  register_metrics();
  if (RdKafka::ErrorCode err = consumer->subscribe({spec.input_topic});
      err != RdKafka::ERR_NO_ERROR)
    throw std::runtime_error("cannot subscribe to " + spec.input_topic + ": " +
                             RdKafka::err2str(err));
  tick_timer = std::make_unique<boost::asio::steady_timer>(io);
  kafka::log(LogLevel::info, spec.component + " running",
             {{"group", config.group_id + "-" + spec.name},
              {"input", spec.input_topic},
              {"pending", spec.pending_topic},
              {"partners", channels.size()}});
  thread = std::thread([this] { run(); });
}

void DeliveryShell::Impl::run() {
  try {
    boost::asio::post(io, [this] { tick(); });
    io.run();
  } catch (const std::exception& e) {
    failed = true;
    stopping = true;  // no flush-and-commit from the revocation that close() causes
    kafka::log(LogLevel::error, spec.component + " stopped on an error", {{"detail", e.what()}});
    // The service must not run on without it: stop it, so a supervisor
    // restarts the process (input offsets stay where they were).
    std::raise(SIGTERM);
  }
  try {
    channels.clear();
    if (consumer) consumer->close();
  } catch (const std::exception& e) {
    kafka::log(LogLevel::warning, spec.name + " consumer close failed", {{"detail", e.what()}});
  }
}

void DeliveryShell::Impl::tick() {
  if (callback_error) std::rethrow_exception(std::exchange(callback_error, nullptr));
  if (stop_requested && !stopping) {
    stopping = true;
    engine->begin_stop();
    stop_deadline = SteadyClock::now() + spec.longest_timeout + milliseconds(2000);
    kafka::log(LogLevel::info, spec.component + " stopping: finishing attempts in flight",
               {{"held", engine->held()}});
  }
  if (stopping) {
    if (finish_stop()) return;  // done: io.run() returns when nothing is left
  } else {
    consume();
  }
  producer->poll(0);
  execute(engine->tick(now_instant()));
  if (SteadyClock::now() >= next_commit) commit(false);
  tick_timer->expires_after(kTick);
  tick_timer->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

void DeliveryShell::Impl::consume() {
  const bool full = engine->held() >= kMaxHeld;
  if (full != paused) set_paused(full);
  for (int i = 0; i < kMaxRecordsPerTick; ++i) {
    kafka::MessagePtr m(consumer->consume(0));
    if (callback_error) std::rethrow_exception(std::exchange(callback_error, nullptr));
    if (m->err() == RdKafka::ERR__TIMED_OUT || m->err() == RdKafka::ERR__PARTITION_EOF) return;
    if (m->err() != RdKafka::ERR_NO_ERROR) {
      kafka::log(LogLevel::warning, spec.name + " consumer error", {{"error", m->errstr()}});
      return;
    }
    on_record(*m);
  }
}

void DeliveryShell::Impl::set_paused(bool pause) {
  kafka::TopicPartitions list;
  for (std::int32_t p : assigned) list.add(spec.input_topic, p, RdKafka::Topic::OFFSET_INVALID);
  if (list.empty()) return;
  if (pause) {
    consumer->pause(list.get());
    kafka::log(LogLevel::warning, "input paused: too many deliveries held",
               {{"topic", spec.input_topic}, {"held", engine->held()}});
  } else {
    consumer->resume(list.get());
  }
  paused = pause;
}

void DeliveryShell::Impl::on_record(RdKafka::Message& m) {
  const std::int32_t p = m.partition();
  const std::int64_t offset = m.offset();
  auto tracker = trackers.find(p);
  if (tracker == trackers.end()) return;  // not (or no longer) ours
  const std::string value =
      m.payload() ? std::string(static_cast<const char*>(m.payload()), m.len()) : std::string();
  const std::string key = m.key() ? *m.key() : std::string();
  ShellInput in;
  try {
    in = spec.read(key, value);
  } catch (const std::exception& e) {
    in.problem = e.what();
  }
  if (!in.problem.empty()) {
    // Our own topic should never hold this; it is logged (no value: it can
    // carry case data) and skipped rather than stopping every partner.
    kafka::log(LogLevel::error, "input record cannot be delivered; skipped",
               {{"topic", spec.input_topic},
                {"partition", p},
                {"offset", offset},
                {"reason", in.problem}});
    in.jobs.clear();
  }
  if (in.enable_partner) {
    kafka::log(LogLevel::info, "partner enabled by an operator", {{"partner", *in.enable_partner}});
    execute(engine->enable(*in.enable_partner));
  }
  tracker->second.consumed(offset, static_cast<int>(in.jobs.size()));
  const Instant now = now_instant();
  for (delivery::Job& job : in.jobs)
    execute(engine->admit(std::move(job), delivery::Origin{p, offset, generations[p]}, now));
}

void DeliveryShell::Impl::commit(bool sync, const std::set<std::int32_t>* only) {
  next_commit = SteadyClock::now() + kCommitEvery;
  kafka::TopicPartitions offsets;
  std::vector<std::pair<std::int32_t, std::int64_t>> moved;
  for (auto& [p, tracker] : trackers) {
    if (only && !only->count(p)) continue;
    std::optional<std::int64_t> at = tracker.committable();
    if (!at) continue;
    auto c = committed.find(p);
    if (c != committed.end() && c->second >= *at) continue;
    offsets.add(spec.input_topic, p, *at);
    moved.push_back({p, *at});
  }
  if (offsets.empty()) return;
  RdKafka::ErrorCode err =
      sync ? consumer->commitSync(offsets.get()) : consumer->commitAsync(offsets.get());
  if (err != RdKafka::ERR_NO_ERROR) {
    kafka::log(LogLevel::warning, spec.name + " input commit failed; retried",
               {{"error", RdKafka::err2str(err)}});
    return;
  }
  for (const auto& [p, at] : moved) committed[p] = at;
}

void DeliveryShell::Impl::rebalance_cb(RdKafka::KafkaConsumer* c, RdKafka::ErrorCode err,
                                       std::vector<RdKafka::TopicPartition*>& partitions) {
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

void DeliveryShell::Impl::on_assign(std::vector<RdKafka::TopicPartition*>& partitions) {
  std::vector<std::int32_t> ps;
  for (auto* tp : partitions) ps.push_back(tp->partition());
  // Pending jobs first: they are older than anything left on the input.
  PendingState restored = pending_reader->read(ps);
  for (const std::string& partner : restored.disabled) engine->restore_disabled(partner);
  const Instant now = now_instant();
  for (std::int32_t p : ps) {
    assigned.insert(p);
    trackers[p] = OffsetTracker{};
    ++generations[p];
    committed.erase(p);
    execute(engine->restore(p, std::move(restored.jobs[p]), now));
  }
}

void DeliveryShell::Impl::on_revoke(std::vector<RdKafka::TopicPartition*>& partitions) {
  std::set<std::int32_t> ps;
  for (auto* tp : partitions) ps.insert(tp->partition());
  if (!stopping) flush_and_commit(&ps);
  engine->revoke(ps);
  for (std::int32_t p : ps) {
    assigned.erase(p);
    trackers.erase(p);
    ++generations[p];
    committed.erase(p);
  }
}

void DeliveryShell::Impl::flush_and_commit(const std::set<std::int32_t>* only) {
  const auto until = SteadyClock::now() + kFlushTimeout;
  while (!acks.empty() && SteadyClock::now() < until) producer->poll(50);
  commit(true, only);
}

// True when everything is durable and committed.
bool DeliveryShell::Impl::finish_stop() {
  producer->poll(0);
  if (engine->in_flight() > 0 && SteadyClock::now() < stop_deadline) return false;
  // Whatever is not yet durable is written to the pending topic now.
  const delivery::Commands persist = engine->stop_persist();
  execute(persist);
  flush_and_commit(nullptr);
  kafka::log(LogLevel::info, spec.component + " stopped",
             {{"persisted_at_stop", persist.size()}, {"unacknowledged_writes", acks.size()}});
  tick_timer.reset();
  channels.clear();  // closes the connections; their handlers are dropped with the io_context
  consumer->close();
  consumer.reset();
  io.stop();
  return true;
}

DeliveryShell::DeliveryShell(const ServiceConfig& config, ShellSpec spec,
                             admin::MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(config, std::move(spec), metrics)) {}

DeliveryShell::~DeliveryShell() {
  stop();
}

void DeliveryShell::start() {
  impl_->start();
}

void DeliveryShell::stop() {
  impl_->stop_requested = true;
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool DeliveryShell::failed() const {
  return impl_->failed;
}

}  // namespace crp::webhooks
