#include "adapter/runtime/kafka/exactly_once_service.h"

#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdlib>

#include "adapter/engine/challenge_codec.h"
#include "adapter/engine/protocol_digests.h"
#include "adapter/infra/kafka/json_log.h"
#include "adapter/infra/kafka/kafka_properties.h"
#include "adapter/infra/kafka/test_hooks.h"
#include "adapter/infra/kafka/topic_setup.h"

namespace crp::kafka {
namespace {

using Clock = std::chrono::steady_clock;

// Longest a step blocks in consume(), so signals and timers stay prompt.
constexpr auto kMaxStep = std::chrono::milliseconds(50);
constexpr auto kCountsEvery = std::chrono::seconds(60);
constexpr int kSeekTimeoutMs = 10000;
// Record batch framing a record adds on the broker (generous).
constexpr std::size_t kRecordOverheadBytes = 512;
// Aborts in a row that mean a persistent fault: better to exit (and be
// restarted, visibly) than to rebuild state in a loop.
constexpr int kMaxConsecutiveAborts = 5;

Record to_record(RdKafka::Message& m) {
  Record r;
  r.topic = m.topic_name();
  if (const std::string* key = m.key()) r.key = *key;
  if (const RdKafka::Headers* headers = m.headers()) {
    for (const RdKafka::Headers::Header& h : headers->get_all()) {
      r.headers.push_back(
          {h.key(), h.value() ? std::string(h.value_string(), h.value_size()) : std::string()});
    }
  }
  if (m.payload()) r.value.assign(static_cast<const char*>(m.payload()), m.len());
  r.partition = m.partition();
  r.offset = m.offset();
  return r;
}

}  // namespace

ExactlyOnceService::ExactlyOnceService(const ServiceConfig& config, boost::asio::io_context& io,
                                       std::string transactional_id,
                                       admin::MetricsRegistry& metrics)
    : config_(config),
      io_(io),
      producer_(config, std::move(transactional_id)),
      restorer_(std::make_unique<ChangelogRestorer>(config)),
      timer_(io),
      signals_(io, SIGTERM, SIGINT),
      start_calendar_(config.protocols),
      calendar_(config.protocols),
      hangup_(io, SIGHUP),
      calendar_text_(config.calendar_text),
      protocol_digests_(protocol_digests(*config.protocols)),
      memory_(config.memory_limit_mib) {
  // Test-only fault injection (test_hooks.h): only in a CRP_TEST_HOOKS build;
  // run_service() refused to start already if one is set in any other.
  const TestHooks hooks = read_test_hooks();
  abort_every_ = hooks.abort_every_nth_transaction;
  clock_offset_ = hooks.clock_offset;
  restore_delay_ = hooks.restore_delay;
  if (hooks.active()) {
    log(LogLevel::warning, "test fault injection is active",
        {{"abort_every_nth_transaction", abort_every_},
         {"clock_offset_ms", clock_offset_.count()},
         {"restore_delay_ms", restore_delay_.count()}});
  }
  register_metrics(metrics);
}

ExactlyOnceService::~ExactlyOnceService() {
  if (consumer_ && !closed_) {
    failed_ = true;      // leaving on an error: the revocation must not commit
    consumer_->close();  // leave the group now, so another member takes over at once
  }
}

void ExactlyOnceService::run() {
  // Every client's configuration is checked before anything touches the cluster.
  ConfPtr conf = group_consumer_conf(config_, this, &consumer_events_);
  const TopicLayout layout =
      prepare_topics(config_, producer_.handle(), producer_.max_message_bytes());
  dead_letter_limit_ = producer_.max_message_bytes();
  operations_topic_ = layout.operations;
  if (layout.dead_letter_max_bytes > 0) {
    dead_letter_limit_ = std::min(dead_letter_limit_, layout.dead_letter_max_bytes);
  }
  producer_.init();
  producer_ready_ = true;

  std::string error;
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer_) throw std::runtime_error("cannot create the consumer: " + error);
  cooperative_ = consumer_->rebalance_protocol() == "COOPERATIVE" ||
                 effective_property(*conf, "partition.assignment.strategy") == "cooperative-sticky";
  std::vector<std::string> topics;
  for (const Input& in : config_.inputs) topics.push_back(in.topic);
  if (RdKafka::ErrorCode err = consumer_->subscribe(topics); err != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("cannot subscribe to the input topics: " + RdKafka::err2str(err));
  }
  log(LogLevel::info, "running",
      {{"group", config_.group_id},
       {"transactional_id", producer_.transactional_id()},
       {"partitions", layout.partitions},
       {"dead_letter_max_bytes", dead_letter_limit_},
       {"clock", config_.event_clock ? "event" : "wall"},
       {"commit_interval_ms", config_.commit_interval_ms},
       {"max_batch", config_.max_batch}});

  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log(LogLevel::info, "signal received: finishing the open transaction and leaving the group",
        {{"signal", signal}});
    stopping_ = true;
  });
  watch_calendar();
  next_counts_log_ = Clock::now() + kCountsEvery;
  boost::asio::post(io_, [this] { step(); });
  io_.run();
}

// ---- the loop ------------------------------------------------------------

void ExactlyOnceService::step() {
  producer_.poll();
  idle();
  if (auto rss = memory_.above_while_processing()) {
    // Partitions already owned keep running: only new ones are refused.
    log(LogLevel::warning, "resident memory above runtime.memory_limit_mib while processing",
        {{"rss_mib", mib(*rss)},
         {"limit_mib", mib(memory_.limit_bytes())},
         {"owned", tasks_.size()}});
  }
  check_calendar(/*forced=*/false);
  catch_up_calendars();
  const auto step_end = Clock::now() + kMaxStep;
  // Adaptive commit: once a transaction is open, take only input already
  // fetched; when there is none, commit now instead of at the deadline.
  bool drained = false;
  while (!stopping_ && !drained && batch_records_ < static_cast<std::size_t>(config_.max_batch)) {
    const bool open = producer_.in_transaction();
    auto until = open ? std::min(step_end, batch_deadline_) : step_end;
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (remaining.count() <= 0) break;
    const bool no_wait = open && config_.adaptive_commit;
    MessagePtr message(consumer_->consume(no_wait ? 0 : static_cast<int>(remaining.count())));
    rethrow_callback_error();
    switch (message->err()) {
      case RdKafka::ERR_NO_ERROR:
        on_message(*message);
        break;
      case RdKafka::ERR__TIMED_OUT:
        drained = no_wait;
        break;
      case RdKafka::ERR__PARTITION_EOF:
        break;
      default:
        on_consumer_error(*message);
        break;
    }
  }
  if (producer_.in_transaction() &&
      (stopping_ || drained || batch_records_ >= static_cast<std::size_t>(config_.max_batch) ||
       Clock::now() >= batch_deadline_)) {
    commit_batch();
  }
  if (Clock::now() >= next_counts_log_) {
    log_counts("progress");
    next_counts_log_ = Clock::now() + kCountsEvery;
  }
  if (stopping_) {
    shutdown();
    return;
  }
  arm_timer();
  boost::asio::post(io_, [this] { step(); });
}

void ExactlyOnceService::on_message(RdKafka::Message& message) {
  auto task = tasks_.find(message.partition());
  if (task == tasks_.end()) {  // cannot happen while assignment and tasks agree
    log(LogLevel::error, "record from a partition without state; skipped",
        {{"topic", message.topic_name()},
         {"partition", message.partition()},
         {"offset", message.offset()}});
    return;
  }
  const TopicPartition tp{message.topic_name(), message.partition()};
  rewind_to_.try_emplace(tp, message.offset());  // no commit yet: the first record read
  begin_transaction();
  catch_up_calendar(*task->second);  // restored during this step: under the current calendar
  const Record record = to_record(message);
  outputs_.clear();
  if (config_.event_clock) {
    task->second->processor.on_record(record, outputs_);
  } else {
    task->second->processor.on_record_at(record, wall_now(), outputs_);
  }
  produce_outputs();
  positions_[tp] = message.offset() + 1;
  ++batch_records_;
  ++counts_.consumed;
  count_input(record.topic);
}

void ExactlyOnceService::on_consumer_error(const RdKafka::Message& message) {
  if (message.err() == RdKafka::ERR__FATAL) {
    std::string text;
    consumer_->fatal_error(text);
    throw FatalKafkaError("consumer: " + text, false);
  }
  // Broker restarts, leadership moves, a poll interval exceeded (a rebalance
  // follows): librdkafka recovers by itself; say so once per occurrence.
  log(LogLevel::warning, "consumer error",
      {{"error", RdKafka::err2str(message.err())}, {"detail", message.errstr()}});
}

void ExactlyOnceService::produce_outputs() {
  for (const Output& o : outputs_) {
    // Without the operations topic its notices are in the log only (topic_setup.h).
    if (!operations_topic_ && o.record.topic == config_.webhooks.operations_topic) continue;
    if (o.record.topic != config_.topics.dlq) {
      if (!producer_.produce(o.record, -1)) {
        throw std::runtime_error("an output record to " + o.record.topic +
                                 " exceeds message.max.bytes");
      }
    } else {
      produce_dead_letter(o.record);
    }
    ++counts_.produced;
    count_output(o.record);
  }
}

void ExactlyOnceService::produce_dead_letter(const Record& record) {
  // A dead letter the DLQ topic would refuse would abort every retry of its
  // batch, for ever: keep its headers (where it came from, why) and drop the
  // bytes instead, saying how many there were.
  std::size_t size = record.key.size() + record.value.size() + kRecordOverheadBytes;
  for (const Header& h : record.headers) size += h.key.size() + h.value.size() + 8;
  bool sent = size <= static_cast<std::size_t>(dead_letter_limit_) && producer_.produce(record, -1);
  if (!sent) {
    Record copy{record.topic, record.key, record.headers, {}, record.partition, record.offset};
    copy.headers.push_back({"crp.dlq.value_dropped_bytes", std::to_string(record.value.size())});
    producer_.produce(copy, -1);
  }
  ++counts_.dead_lettered;
  auto header = [&](const char* key) {
    const std::string* value = record.header(std::string("__connect.errors.") + key);
    return value ? std::string_view(*value) : std::string_view();
  };
  metrics_.dead_letters->with({std::string(header("exception.class.name"))}).inc();
  log(LogLevel::warning,
      sent ? "record dead-lettered" : "record dead-lettered without its value (too large)",
      {{"topic", header("topic")},
       {"partition", header("partition")},
       {"offset", header("offset")},
       {"error_class", header("exception.class.name")},
       {"bytes", record.value.size()}});
}

// ---- timers (wall clock) -------------------------------------------------

void ExactlyOnceService::arm_timer() {
  if (config_.event_clock) return;  // each partition's clock follows its events
  std::optional<Instant> earliest;
  for (const auto& [p, task] : tasks_) {
    if (auto due = task->engine.next_due(); due && (!earliest || *due < *earliest)) earliest = due;
  }
  if (earliest == timer_at_) return;
  timer_at_ = earliest;
  if (!earliest) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(std::chrono::system_clock::time_point(earliest->time_since_epoch()) -
                    clock_offset_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed or cancelled
    timer_at_.reset();
    fire_timers();
  });
}

Instant ExactlyOnceService::wall_now() const {
  return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now() +
                                                       clock_offset_);
}

void ExactlyOnceService::fire_timers() {
  if (stopping_ || failed_) return;
  const Instant now = wall_now();
  for (auto& [p, task] : tasks_) {
    catch_up_calendar(*task);  // a deadline the new calendar moves must not fire first
    auto due = task->engine.next_due();
    if (!due || *due > now) continue;
    // Outputs and the new state commit with the next batch, like input.
    begin_transaction();
    outputs_.clear();
    task->processor.advance_to(now, outputs_);
    produce_outputs();
    ++counts_.timers;
    metrics_.timers_fired->inc();
  }
}

// ---- transactions --------------------------------------------------------

void ExactlyOnceService::begin_transaction() {
  if (producer_.begin())
    batch_deadline_ = Clock::now() + std::chrono::milliseconds(config_.commit_interval_ms);
}

void ExactlyOnceService::write_changelog() {
  for (auto& [partition, task] : tasks_) {
    for (const std::string& id : task->engine.take_dirty()) {
      Record r{config_.topics.changelog, id, {}, task->engine.encode_state(id)};
      r.null_value = r.value.empty();  // forgotten (closed long enough): delete its key
      // Explicit partition: the state of input partition N is changelog partition N.
      if (!producer_.produce(r, partition)) {
        throw std::runtime_error("the state of " + id + " exceeds message.max.bytes");
      }
    }
  }
}

void ExactlyOnceService::commit_batch() {
  if (!producer_.in_transaction() || failed_) return;
  write_changelog();
  TopicPartitions offsets;
  for (const auto& [tp, offset] : positions_) {
    if (assigned_.count(tp)) offsets.add(tp.first, tp.second, offset);
  }
  ++commit_attempts_;
  const bool inject_abort = abort_every_ > 0 && commit_attempts_ % abort_every_ == 0;
  if (inject_abort) producer_.abort();
  if (!inject_abort &&
      producer_.commit(offsets, *consumer_) == TransactionalProducer::Outcome::committed) {
    for (const auto& [tp, offset] : positions_) rewind_to_[tp] = offset;
    ++counts_.commits;
    metrics_.commits->inc();
    consecutive_aborts_ = 0;
  } else {
    ++counts_.aborts;
    metrics_.aborts->inc();
    if (++consecutive_aborts_ >= kMaxConsecutiveAborts) {
      throw std::runtime_error(std::to_string(consecutive_aborts_) +
                               " transactions in a row were aborted");
    }
    rewind_and_rebuild();
  }
  batch_records_ = 0;
}

void ExactlyOnceService::rewind_and_rebuild() {
  // In-memory state may hold changes of the aborted batch: start again from
  // the committed state and the committed offsets.
  log(LogLevel::warning, "transaction aborted: rewinding input and restoring state",
      {{"partitions", tasks_.size()}});
  for (const auto& [tp, offset] : rewind_to_) {
    std::unique_ptr<RdKafka::TopicPartition> target(
        RdKafka::TopicPartition::create(tp.first, tp.second, offset));
    if (RdKafka::ErrorCode err = consumer_->seek(*target, kSeekTimeoutMs);
        err != RdKafka::ERR_NO_ERROR) {
      throw std::runtime_error("cannot rewind " + tp.first + "/" + std::to_string(tp.second) +
                               ": " + RdKafka::err2str(err));
    }
    positions_[tp] = offset;
  }
  std::vector<std::int32_t> partitions;
  for (auto& [p, task] : tasks_) {
    task = std::make_unique<PartitionTask>(config_, start_calendar_, p, intake_metrics_.get());
    partitions.push_back(p);
  }
  restore(partitions);
  batch_records_ = 0;
  timer_at_.reset();
}

void ExactlyOnceService::shutdown() {
  commit_batch();
  consumer_->close();  // revokes (nothing left to commit) and leaves the group
  closed_ = true;
  rethrow_callback_error();
  timer_.cancel();
  signals_.cancel();
  hangup_.cancel();
  log_counts("stopped");
}

void ExactlyOnceService::rethrow_callback_error() {
  if (callback_error_) std::rethrow_exception(std::exchange(callback_error_, nullptr));
}

void ExactlyOnceService::log_counts(const char* message) {
  log(LogLevel::info, message,
      {{"consumed", counts_.consumed},
       {"produced", counts_.produced},
       {"dead_lettered", counts_.dead_lettered},
       {"timers_fired", counts_.timers},
       {"commits", counts_.commits},
       {"aborts", counts_.aborts},
       {"owned_partitions", tasks_.size()}});
}

}  // namespace crp::kafka
