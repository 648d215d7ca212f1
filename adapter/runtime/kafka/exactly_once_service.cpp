#include "adapter/runtime/kafka/exactly_once_service.h"

#include <boost/asio/post.hpp>
#include <csignal>

#include "adapter/engine/challenge_codec.h"
#include "adapter/runtime/kafka/json_log.h"
#include "adapter/runtime/kafka/kafka_properties.h"
#include "adapter/runtime/kafka/topic_setup.h"

namespace crp::kafka {
namespace {

using Clock = std::chrono::steady_clock;

// Longest a step blocks in consume(), so signals and timers stay prompt.
constexpr auto kMaxStep = std::chrono::milliseconds(50);
constexpr auto kCountsEvery = std::chrono::seconds(60);
constexpr int kSeekTimeoutMs = 10000;

Instant wall_now() { return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now()); }

Record to_record(RdKafka::Message& m) {
  Record r;
  r.topic = m.topic_name();
  if (const std::string* key = m.key()) r.key = *key;
  if (const RdKafka::Headers* headers = m.headers()) {
    for (const RdKafka::Headers::Header& h : headers->get_all()) {
      r.headers.push_back({h.key(), h.value() ? std::string(h.value_string(), h.value_size()) : std::string()});
    }
  }
  if (m.payload()) r.value.assign(static_cast<const char*>(m.payload()), m.len());
  r.partition = m.partition();
  r.offset = m.offset();
  return r;
}

std::string numbers(const std::vector<std::int32_t>& list) {
  std::string out;
  for (std::int32_t n : list) out += (out.empty() ? "" : ",") + std::to_string(n);
  return out;
}

}  // namespace

ExactlyOnceService::ExactlyOnceService(const ServiceConfig& config, boost::asio::io_context& io,
                                       std::string transactional_id)
    : config_(config),
      io_(io),
      producer_(config, std::move(transactional_id)),
      restorer_(config),
      timer_(io),
      signals_(io, SIGTERM, SIGINT) {}

ExactlyOnceService::~ExactlyOnceService() {
  if (consumer_ && !closed_) {
    failed_ = true;     // leaving on an error: the revocation must not commit
    consumer_->close();  // leave the group now, so another member takes over at once
  }
}

void ExactlyOnceService::run() {
  const std::int32_t partitions = prepare_topics(config_, producer_.handle(), producer_.max_message_bytes());
  producer_.init();

  ConfPtr conf = group_consumer_conf(config_, this, &consumer_events_);
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
       {"partitions", partitions},
       {"clock", config_.event_clock ? "event" : "wall"},
       {"commit_interval_ms", config_.commit_interval_ms},
       {"max_batch", config_.max_batch}});

  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log(LogLevel::info, "signal received: finishing the open transaction and leaving the group",
        {{"signal", signal}});
    stopping_ = true;
  });
  next_counts_log_ = Clock::now() + kCountsEvery;
  boost::asio::post(io_, [this] { step(); });
  io_.run();
}

// ---- rebalancing ---------------------------------------------------------

void ExactlyOnceService::rebalance_cb(RdKafka::KafkaConsumer*, RdKafka::ErrorCode err,
                                      std::vector<RdKafka::TopicPartition*>& partitions) {
  // Nothing may be thrown through librdkafka's frames: park it for step().
  try {
    if (failed_) {
      // About to exit: commit nothing, take nothing, just let go.
      if (err != RdKafka::ERR__ASSIGN_PARTITIONS) unassign(partitions);
      return;
    }
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      on_assign(partitions);
    } else {
      if (err != RdKafka::ERR__REVOKE_PARTITIONS) log(LogLevel::error, "rebalance failed", {{"error", RdKafka::err2str(err)}});
      on_revoke(partitions);
    }
  } catch (...) {
    failed_ = true;
    if (!callback_error_) callback_error_ = std::current_exception();
  }
}

void ExactlyOnceService::unassign(std::vector<RdKafka::TopicPartition*>& partitions) {
  if (cooperative_) {
    ErrorPtr error(consumer_->incremental_unassign(partitions));
    if (error) throw std::runtime_error("incremental_unassign: " + error->str());
  } else if (RdKafka::ErrorCode err = consumer_->unassign(); err != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("unassign: " + RdKafka::err2str(err));
  }
}

void ExactlyOnceService::on_assign(std::vector<RdKafka::TopicPartition*>& partitions) {
  // No transaction stays open through a restore: it could outlive its timeout.
  commit_batch();
  if (cooperative_) {
    ErrorPtr error(consumer_->incremental_assign(partitions));
    if (error) throw std::runtime_error("incremental_assign: " + error->str());
  } else if (RdKafka::ErrorCode err = consumer_->assign(partitions); err != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("assign: " + RdKafka::err2str(err));
  }
  std::vector<std::int32_t> fresh;
  for (const RdKafka::TopicPartition* tp : partitions) {
    assigned_.insert({tp->topic(), tp->partition()});
    if (!tasks_.count(tp->partition())) {
      tasks_[tp->partition()] = std::make_unique<PartitionTask>(config_, tp->partition());
      fresh.push_back(tp->partition());
    }
  }
  log(LogLevel::info, "partitions assigned",
      {{"count", partitions.size()}, {"new_partitions", numbers(fresh)}, {"owned", tasks_.size()}});
  restore(fresh);
}

void ExactlyOnceService::on_revoke(std::vector<RdKafka::TopicPartition*>& partitions) {
  // Lost (session timed out): someone else may own them already, so nothing
  // of the open batch may commit. Otherwise their outputs, state and offsets
  // go out before they do.
  const bool lost = consumer_->assignment_lost();
  if (!lost) commit_batch();
  for (const RdKafka::TopicPartition* tp : partitions) {
    const TopicPartition key{tp->topic(), tp->partition()};
    assigned_.erase(key);
    positions_.erase(key);
    rewind_to_.erase(key);
  }
  drop_unowned_tasks();
  if (lost && producer_.in_transaction()) {
    // The partitions kept must forget the aborted batch too.
    producer_.abort();
    ++counts_.aborts;
    rewind_and_rebuild();
  }
  unassign(partitions);
  log(lost ? LogLevel::warning : LogLevel::info, lost ? "partitions lost" : "partitions revoked",
      {{"count", partitions.size()}, {"owned", tasks_.size()}});
}

void ExactlyOnceService::drop_unowned_tasks() {
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    bool owned = false;
    for (const auto& [topic, partition] : assigned_) owned = owned || partition == it->first;
    it = owned ? std::next(it) : tasks_.erase(it);
  }
}

void ExactlyOnceService::restore(const std::vector<std::int32_t>& partitions) {
  std::map<std::int32_t, Engine*> engines;
  for (std::int32_t p : partitions) engines[p] = &tasks_.at(p)->engine;
  restorer_.restore(engines);
}

// ---- the loop ------------------------------------------------------------

void ExactlyOnceService::step() {
  producer_.poll();
  const auto step_end = Clock::now() + kMaxStep;
  while (!stopping_ && batch_records_ < static_cast<std::size_t>(config_.max_batch)) {
    auto until = producer_.in_transaction() ? std::min(step_end, batch_deadline_) : step_end;
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (remaining.count() <= 0) break;
    MessagePtr message(consumer_->consume(static_cast<int>(remaining.count())));
    rethrow_callback_error();
    switch (message->err()) {
      case RdKafka::ERR_NO_ERROR: on_message(*message); break;
      case RdKafka::ERR__TIMED_OUT:
      case RdKafka::ERR__PARTITION_EOF: break;
      default: on_consumer_error(*message); break;
    }
  }
  if (producer_.in_transaction() &&
      (stopping_ || batch_records_ >= static_cast<std::size_t>(config_.max_batch) || Clock::now() >= batch_deadline_)) {
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
        {{"topic", message.topic_name()}, {"partition", message.partition()}, {"offset", message.offset()}});
    return;
  }
  const TopicPartition tp{message.topic_name(), message.partition()};
  rewind_to_.try_emplace(tp, message.offset());  // no commit yet: the first record read
  begin_transaction();
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
}

void ExactlyOnceService::on_consumer_error(const RdKafka::Message& message) {
  if (message.err() == RdKafka::ERR__FATAL) {
    std::string text;
    consumer_->fatal_error(text);
    throw FatalKafkaError("consumer: " + text, false);
  }
  // Broker restarts, leadership moves, a poll interval exceeded (a rebalance
  // follows): librdkafka recovers by itself; say so once per occurrence.
  log(LogLevel::warning, "consumer error", {{"error", RdKafka::err2str(message.err())}, {"detail", message.errstr()}});
}

void ExactlyOnceService::produce_outputs() {
  for (const Output& o : outputs_) {
    const bool dead_letter = o.record.topic == config_.topics.dlq;
    if (!producer_.produce(o.record, -1)) {
      if (!dead_letter) throw std::runtime_error("an output record to " + o.record.topic + " exceeds message.max.bytes");
      // Keep the dead letter's headers (where it came from, why) even when
      // the original bytes cannot be copied.
      Record copy{o.record.topic, o.record.key, o.record.headers, {}, o.record.partition, o.record.offset};
      copy.headers.push_back({"crp.dlq.value_dropped_bytes", std::to_string(o.record.value.size())});
      producer_.produce(copy, -1);
    }
    ++counts_.produced;
    if (dead_letter) {
      ++counts_.dead_lettered;
      auto header = [&](const char* key) {
        const std::string* value = o.record.header(std::string("__connect.errors.") + key);
        return value ? std::string_view(*value) : std::string_view();
      };
      log(LogLevel::warning, "record dead-lettered",
          {{"topic", header("topic")},
           {"partition", header("partition")},
           {"offset", header("offset")},
           {"error_class", header("exception.class.name")},
           {"bytes", o.record.value.size()}});
    }
  }
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
  timer_.expires_at(std::chrono::system_clock::time_point(earliest->time_since_epoch()));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed or cancelled
    timer_at_.reset();
    fire_timers();
  });
}

void ExactlyOnceService::fire_timers() {
  if (stopping_ || failed_) return;
  const Instant now = wall_now();
  for (auto& [p, task] : tasks_) {
    auto due = task->engine.next_due();
    if (!due || *due > now) continue;
    // Outputs and the new state commit with the next batch, like input.
    begin_transaction();
    outputs_.clear();
    task->processor.advance_to(now, outputs_);
    produce_outputs();
    ++counts_.timers;
  }
}

// ---- transactions --------------------------------------------------------

void ExactlyOnceService::begin_transaction() {
  if (producer_.begin()) batch_deadline_ = Clock::now() + std::chrono::milliseconds(config_.commit_interval_ms);
}

void ExactlyOnceService::write_changelog() {
  for (auto& [partition, task] : tasks_) {
    for (const std::string& id : task->engine.take_dirty()) {
      const Challenge* c = task->engine.find(id);
      Record r{config_.topics.changelog, id, {}, c ? encode_challenge(*c) : std::string()};
      // Explicit partition: the state of input partition N is changelog partition N.
      if (!producer_.produce(r, partition)) {
        throw std::runtime_error("the state of challenge " + id + " exceeds message.max.bytes");
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
  if (producer_.commit(offsets, *consumer_) == TransactionalProducer::Outcome::committed) {
    for (const auto& [tp, offset] : positions_) rewind_to_[tp] = offset;
    ++counts_.commits;
  } else {
    ++counts_.aborts;
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
    std::unique_ptr<RdKafka::TopicPartition> target(RdKafka::TopicPartition::create(tp.first, tp.second, offset));
    if (RdKafka::ErrorCode err = consumer_->seek(*target, kSeekTimeoutMs); err != RdKafka::ERR_NO_ERROR) {
      throw std::runtime_error("cannot rewind " + tp.first + "/" + std::to_string(tp.second) + ": " +
                               RdKafka::err2str(err));
    }
    positions_[tp] = offset;
  }
  std::vector<std::int32_t> partitions;
  for (auto& [p, task] : tasks_) {
    task = std::make_unique<PartitionTask>(config_, p);
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
