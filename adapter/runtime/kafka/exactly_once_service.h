// `crp-adapter run`: the consume -> engine -> produce loop, exactly once.
//
// One Asio io_context on the calling thread drives everything: a step posts
// itself after consuming for at most a few tens of milliseconds, so signal
// and timer handlers run between steps. Per batch ONE Kafka transaction holds the
// outputs, the changelog records of every challenge that changed, and the
// input offsets. A batch ends at max_batch records, commit_interval_ms after
// it began, or (runtime.commit "adaptive", the default) as soon as no more
// input is already fetched: sparse input commits the moment the previous
// transaction is done, a backlog still fills batches (docs/decisions/0052).
// If the broker asks for an abort, the input is rewound to
// the last commit and the state rebuilt from the changelog, so the retried
// batch starts from exactly the committed state.
//
// State is per input partition number (PartitionTask), restored from the
// co-partitioned changelog when assigned, dropped when revoked (after the
// open transaction is committed). Wall-clock mode arms a system timer for
// the earliest deadline across partitions, so timers fire with no input;
// event-clock mode moves each partition's clock with its events only.
//
// It is also the admin API's view (admin::AdminView): readiness, and the
// challenges of the partitions it owns. The admin server's handlers run on
// this thread, through the idle hook called between steps and between
// changelog reads, so they read the engines without locks.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/system_timer.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "adapter/infra/kafka/event_logger.h"
#include "adapter/infra/kafka/rdkafka_handles.h"
#include "adapter/infra/kafka/transactional_producer.h"
#include "adapter/runtime/admin/admin_view.h"
#include "adapter/runtime/admin/metrics.h"
#include "adapter/runtime/kafka/changelog_restore.h"
#include "adapter/runtime/kafka/intake_metrics.h"
#include "adapter/runtime/kafka/memory_ceiling.h"
#include "adapter/runtime/kafka/partition_task.h"
#include "adapter/runtime/service_config.h"

namespace crp::kafka {

class ExactlyOnceService final : public RdKafka::RebalanceCb, public admin::AdminView {
 public:
  ExactlyOnceService(const ServiceConfig& config, boost::asio::io_context& io,
                     std::string transactional_id, admin::MetricsRegistry& metrics);
  ~ExactlyOnceService() override;

  // Called on this thread between steps and while a restore waits for
  // records (at least every few hundred milliseconds): the admin server's
  // poll. Set before run().
  void set_idle_hook(std::function<void()> hook) { idle_hook_ = std::move(hook); }

  // admin::AdminView
  admin::Readiness readiness() const override;
  void for_each_challenge(
      const std::function<void(const Challenge&, std::int32_t)>& visit) const override;
  const Challenge* find_challenge(const std::string& id, std::int32_t& partition) const override;
  void for_each_quarantined(const std::function<void(const Challenge&, const std::string&,
                                                     std::int32_t)>& visit) const override;
  Instant now() const override { return wall_now(); }
  // The calendar in use: the one loaded at start, or the calendar file as last reloaded.
  std::shared_ptr<const ProtocolSet> calendar() const { return calendar_; }

  // Runs until SIGTERM/SIGINT (then returns after a clean close). Throws
  // FatalKafkaError when fenced or the producer is unusable.
  void run();

 private:
  using TopicPartition = std::pair<std::string, std::int32_t>;

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override;
  void on_assign(std::vector<RdKafka::TopicPartition*>& partitions);
  void on_revoke(std::vector<RdKafka::TopicPartition*>& partitions);
  void unassign(std::vector<RdKafka::TopicPartition*>& partitions);

  void step();
  void on_message(RdKafka::Message& message);
  void on_consumer_error(const RdKafka::Message& message);
  Instant wall_now() const;
  void fire_timers();
  void arm_timer();
  void produce_outputs();
  void produce_dead_letter(const Record& record);
  void begin_transaction();
  void commit_batch();
  void write_changelog();
  void rewind_and_rebuild();
  // watch_memory: stops with MemoryCeilingExceeded above runtime.memory_limit_mib.
  void restore(const std::vector<std::int32_t>& partitions, bool watch_memory = false);
  void restore_or_refuse(const std::vector<std::int32_t>& fresh);
  void abandon_restore(const std::vector<std::int32_t>& partitions);
  void refuse(const std::vector<std::int32_t>& partitions, std::uint64_t rss_bytes);
  void pause_refused();
  bool still_assigned(std::int32_t partition) const;  // on any input topic
  void drop_unowned_tasks();
  void shutdown();
  void rethrow_callback_error();
  void log_counts(const char* message);
  void idle() const;
  void register_metrics(admin::MetricsRegistry& metrics);
  void refresh_gauges();
  void count_input(const std::string& topic);
  void count_output(const Record& record);

  // Calendar updates (exactly_once_calendar.cpp, docs/decisions/0060): SIGHUP
  // or a changed file reloads it; every owned partition is brought up to it.
  void watch_calendar();
  void wait_for_hangup();
  void check_calendar(bool forced);
  void catch_up_calendars();
  void catch_up_calendar(PartitionTask& task);
  void compare_counted(PartitionTask& task);

  const ServiceConfig& config_;
  boost::asio::io_context& io_;
  TransactionalProducer producer_;
  std::unique_ptr<ChangelogRestorer> restorer_;  // replaced after a restore is interrupted
  EventLogger consumer_events_{"consumer"};
  ConsumerPtr consumer_;
  bool cooperative_ = true;

  std::map<std::int32_t, std::unique_ptr<PartitionTask>> tasks_;  // by partition number
  std::set<TopicPartition> assigned_;
  std::map<TopicPartition, std::int64_t> positions_;  // next offset to read, as processed
  std::map<TopicPartition, std::int64_t> rewind_to_;  // last committed (or first read) offset

  int dead_letter_limit_ = 0;     // bytes a dead letter may have on the DLQ topic
  bool operations_topic_ = true;  // false: operations notices are logged only
  std::vector<Output> outputs_;   // reused between records
  std::size_t batch_records_ = 0;
  std::chrono::steady_clock::time_point batch_deadline_{};

  boost::asio::system_timer timer_;
  std::optional<Instant> timer_at_;
  boost::asio::signal_set signals_;

  // The calendar each partition's state is restored under (loaded at start),
  // and the current one: a partition whose engine runs under another is
  // brought up to it, in the open transaction, before its next record or timer.
  std::shared_ptr<const ProtocolSet> start_calendar_;
  std::shared_ptr<const ProtocolSet> calendar_;
  boost::asio::signal_set hangup_;
  std::chrono::steady_clock::time_point next_calendar_check_{};
  std::optional<std::pair<std::int64_t, std::uintmax_t>> calendar_stamp_;  // mtime, size
  std::uint64_t calendar_digest_ = 0;  // of the text calendar_ was read from
  std::string calendar_text_;          // that text: each partition's changelog keeps it
  std::string protocol_digests_;       // and the loaded protocol versions' digests
  bool stopping_ = false;
  bool closed_ = false;
  bool failed_ = false;                // fatal error: no more commits
  std::exception_ptr callback_error_;  // thrown inside a librdkafka callback

  std::uint64_t commit_attempts_ = 0;
  int consecutive_aborts_ = 0;
  int abort_every_ = 0;                        // test-only fault injection, see the constructor
  std::chrono::milliseconds clock_offset_{0};  // test-only, likewise

  struct Counts {
    std::uint64_t consumed = 0, produced = 0, dead_lettered = 0, timers = 0, commits = 0,
                  aborts = 0;
  } counts_;
  std::chrono::steady_clock::time_point next_counts_log_{};

  // Readiness (admin /readyz) and the admin server's poll.
  std::function<void()> idle_hook_;
  mutable std::chrono::steady_clock::time_point next_idle_{};  // polls at most every 10 ms
  bool producer_ready_ = false;
  bool assignment_received_ = false;
  std::set<std::int32_t> restoring_;            // partitions whose state is being read back
  std::chrono::milliseconds restore_delay_{0};  // test-only, see the constructor

  // runtime.memory_limit_mib (docs/decisions/0031): partitions refused on
  // assignment (paused, no state) until revoked, with the resident memory
  // that refused them.
  MemoryCeiling memory_;
  std::map<std::int32_t, std::uint64_t> refused_;

  // Prometheus metrics (exactly_once_metrics.cpp). Children looked up once.
  struct Metrics {
    admin::CounterFamily* records_in = nullptr;    // {topic}
    admin::CounterFamily* records_out = nullptr;   // {topic, type}
    admin::CounterFamily* dead_letters = nullptr;  // {error_class}
    admin::Counter* commits = nullptr;
    admin::Counter* aborts = nullptr;
    admin::Counter* timers_fired = nullptr;
    admin::GaugeFamily* lag = nullptr;      // {topic, partition}
    admin::GaugeFamily* open = nullptr;     // {protocol, stage}
    admin::GaugeFamily* overdue = nullptr;  // {protocol, stage}
    admin::Gauge* pending_timers = nullptr;
    admin::GaugeFamily* quarantined = nullptr;
    admin::Gauge* owned_partitions = nullptr;
    admin::Gauge* transaction_open = nullptr;
    admin::Gauge* ready = nullptr;
    admin::Gauge* refused_partitions = nullptr;
    admin::CounterFamily* refusals = nullptr;          // {partition}
    admin::CounterFamily* calendar_reloads = nullptr;  // {result}
    std::map<std::string, admin::Counter*, std::less<>> in_by_topic;
    std::map<std::string, admin::Counter*, std::less<>> out_by_topic_type;  // "topic\ttype"
  } metrics_;
  std::unique_ptr<IntakeMetrics> intake_metrics_;  // every task's processor reports to it
};

}  // namespace crp::kafka
