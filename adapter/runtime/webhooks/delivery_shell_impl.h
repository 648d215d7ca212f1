// The state of a DeliveryShell, shared by its two source files:
// delivery_shell.cpp (the loop, rebalancing, offsets, stopping) and
// shell_commands.cpp (the engine's commands: attempts, writes, metrics).
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <exception>
#include <set>
#include <thread>

#include "adapter/infra/kafka/event_logger.h"
#include "adapter/infra/kafka/rdkafka_handles.h"
#include "adapter/runtime/admin/metrics.h"
#include "adapter/runtime/webhooks/delivery_shell.h"
#include "adapter/runtime/webhooks/offset_tracker.h"
#include "adapter/runtime/webhooks/pending_store.h"

namespace crp::webhooks {

struct PartnerMetrics {
  admin::Counter* attempts = nullptr;
  admin::Counter* delivered = nullptr;
  admin::Counter* failures = nullptr;
  admin::Counter* dead_lettered = nullptr;
  admin::Histogram* latency = nullptr;
  admin::Gauge* breaker_open = nullptr;
};

struct DeliveryShell::Impl final : RdKafka::RebalanceCb, RdKafka::DeliveryReportCb {
  Impl(const ServiceConfig& c, ShellSpec s, admin::MetricsRegistry* m);

  const ServiceConfig& config;
  const ShellSpec spec;
  admin::MetricsRegistry* metrics;
  std::thread thread;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> failed{false};

  // Everything below is used on the shell's thread only.
  boost::asio::io_context io;
  std::unique_ptr<boost::asio::steady_timer> tick_timer;
  kafka::EventLogger consumer_events;
  kafka::EventLogger producer_events;
  kafka::ConsumerPtr consumer;
  kafka::ProducerPtr producer;
  std::unique_ptr<PendingReader> pending_reader;
  std::int32_t pending_partitions = 1;
  std::unique_ptr<delivery::DeliveryEngine> engine;
  std::map<std::string, std::unique_ptr<delivery::Channel>> channels;
  std::map<std::string, PartnerMetrics> partner_metrics;
  std::map<std::int32_t, OffsetTracker> trackers;
  std::map<std::int32_t, std::uint64_t> generations;
  std::map<std::int32_t, std::int64_t> committed;
  std::set<std::int32_t> assigned;
  std::map<std::uint64_t, std::function<void(RdKafka::ErrorCode)>> acks;
  std::uint64_t next_token = 1;
  std::chrono::steady_clock::time_point next_commit{}, stop_deadline{};
  bool stopping = false, paused = false;
  std::exception_ptr callback_error;

  // delivery_shell.cpp
  void start();
  void run();
  void tick();
  void consume();
  void set_paused(bool pause);
  void on_record(RdKafka::Message& m);
  void commit(bool sync, const std::set<std::int32_t>* only = nullptr);
  void rebalance_cb(RdKafka::KafkaConsumer* c, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override;
  void on_assign(std::vector<RdKafka::TopicPartition*>& partitions);
  void on_revoke(std::vector<RdKafka::TopicPartition*>& partitions);
  void flush_and_commit(const std::set<std::int32_t>* only);
  bool finish_stop();

  // shell_commands.cpp
  void register_metrics();
  void execute(const delivery::Commands& commands);
  void attempt(const delivery::Command& c);
  void on_outcome(const delivery::Ticket& ticket, const delivery::Job& job,
                  const delivery::Outcome& o);
  void settle(const std::optional<delivery::Origin>& origin);
  void write_pending(std::int32_t partition, const delivery::Job& job, bool tombstone,
                     std::optional<delivery::Origin> settle_after);
  void dead_letter(const delivery::Command& c);
  void mark_disabled(const std::string& partner_id, bool disabled);
  void note(const delivery::Command& c);
  void update_breaker_gauges();
  void produce(const std::string& topic, std::int32_t partition, const std::string& key,
               const std::string* value, std::vector<std::pair<std::string, std::string>> headers,
               std::function<void(RdKafka::ErrorCode)> done);
  void dr_cb(RdKafka::Message& m) override;
};

Instant now_instant();

}  // namespace crp::webhooks
