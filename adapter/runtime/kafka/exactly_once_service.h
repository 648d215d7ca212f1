// `crp-adapter run`: the consume -> engine -> produce loop, exactly once.
//
// One Asio io_context on the calling thread drives everything: a step posts
// itself after consuming for at most a few tens of milliseconds, so signal
// and timer handlers run between steps. Per batch (max_batch records or
// commit_interval_ms, whichever first) ONE Kafka transaction holds the
// outputs, the changelog records of every challenge that changed, and the
// input offsets. If the broker asks for an abort, the input is rewound to
// the last commit and the state rebuilt from the changelog, so the retried
// batch starts from exactly the committed state.
//
// State is per input partition number (PartitionTask), restored from the
// co-partitioned changelog when assigned, dropped when revoked (after the
// open transaction is committed). Wall-clock mode arms a system timer for
// the earliest deadline across partitions, so timers fire with no input;
// event-clock mode moves each partition's clock with its events only.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/system_timer.hpp>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "adapter/runtime/kafka/changelog_restore.h"
#include "adapter/runtime/kafka/event_logger.h"
#include "adapter/runtime/kafka/partition_task.h"
#include "adapter/runtime/kafka/rdkafka_handles.h"
#include "adapter/runtime/kafka/transactional_producer.h"
#include "adapter/runtime/service_config.h"

namespace crp::kafka {

class ExactlyOnceService final : public RdKafka::RebalanceCb {
 public:
  ExactlyOnceService(const ServiceConfig& config, boost::asio::io_context& io,
                     std::string transactional_id);
  ~ExactlyOnceService() override;

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
  void restore(const std::vector<std::int32_t>& partitions);
  void drop_unowned_tasks();
  void shutdown();
  void rethrow_callback_error();
  void log_counts(const char* message);

  const ServiceConfig& config_;
  boost::asio::io_context& io_;
  TransactionalProducer producer_;
  ChangelogRestorer restorer_;
  EventLogger consumer_events_{"consumer"};
  ConsumerPtr consumer_;
  bool cooperative_ = true;

  std::map<std::int32_t, std::unique_ptr<PartitionTask>> tasks_;  // by partition number
  std::set<TopicPartition> assigned_;
  std::map<TopicPartition, std::int64_t> positions_;  // next offset to read, as processed
  std::map<TopicPartition, std::int64_t> rewind_to_;  // last committed (or first read) offset

  int dead_letter_limit_ = 0;    // bytes a dead letter may have on the DLQ topic
  std::vector<Output> outputs_;  // reused between records
  std::size_t batch_records_ = 0;
  std::chrono::steady_clock::time_point batch_deadline_{};

  boost::asio::system_timer timer_;
  std::optional<Instant> timer_at_;
  boost::asio::signal_set signals_;
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
};

}  // namespace crp::kafka
