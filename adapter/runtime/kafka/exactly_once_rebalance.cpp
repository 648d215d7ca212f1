// ExactlyOnceService: partitions coming and going (librdkafka's rebalance
// callback, on the service's thread inside consume()).
#include "adapter/runtime/kafka/exactly_once_service.h"

#include <algorithm>
#include <thread>

#include "adapter/infra/kafka/json_log.h"

namespace crp::kafka {

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
      assignment_received_ = true;
      on_assign(partitions);
    } else {
      if (err != RdKafka::ERR__REVOKE_PARTITIONS)
        log(LogLevel::error, "rebalance failed", {{"error", RdKafka::err2str(err)}});
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
    // Partition N of another input topic shares changelog partition N: if N
    // is refused already, it is refused with it.
    if (!tasks_.count(tp->partition()) && !refused_.count(tp->partition())) {
      tasks_[tp->partition()] = std::make_unique<PartitionTask>(
          config_, start_calendar_, tp->partition(), intake_metrics_.get());
      fresh.push_back(tp->partition());
    }
  }
  log(LogLevel::info, "partitions assigned",
      {{"count", partitions.size()},
       {"new_partitions", partition_list(fresh)},
       {"owned", tasks_.size()}});
  if (!memory_.enabled()) {
    restore(fresh);
    return;
  }
  restore_or_refuse(fresh);  // exactly_once_memory.cpp
  if (!refused_.empty()) pause_refused();
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
  // A refused partition that leaves is forgotten: its next owner (this
  // instance again, maybe) restores it afresh. librdkafka would keep its
  // pause through a later assignment: it is resumed once unassigned.
  TopicPartitions resume;
  for (const RdKafka::TopicPartition* tp : partitions) {
    if (refused_.count(tp->partition()))
      resume.add(tp->topic(), tp->partition(), RdKafka::Topic::OFFSET_INVALID);
  }
  std::erase_if(refused_, [this](const auto& entry) { return !still_assigned(entry.first); });
  if (lost && producer_.in_transaction()) {
    // The partitions kept must forget the aborted batch too.
    producer_.abort();
    ++counts_.aborts;
    metrics_.aborts->inc();
    rewind_and_rebuild();
  }
  unassign(partitions);
  if (!resume.empty()) {
    if (RdKafka::ErrorCode err = consumer_->resume(resume.get()); err != RdKafka::ERR_NO_ERROR)
      log(LogLevel::warning, "cannot resume refused partitions",
          {{"error", RdKafka::err2str(err)}});
  }
  log(lost ? LogLevel::warning : LogLevel::info, lost ? "partitions lost" : "partitions revoked",
      {{"count", partitions.size()}, {"owned", tasks_.size()}});
}

bool ExactlyOnceService::still_assigned(std::int32_t partition) const {
  return std::ranges::any_of(assigned_,
                             [partition](const auto& tp) { return tp.second == partition; });
}

void ExactlyOnceService::drop_unowned_tasks() {
  std::erase_if(tasks_, [this](const auto& task) { return !still_assigned(task.first); });
}

void ExactlyOnceService::restore(const std::vector<std::int32_t>& partitions, bool watch_memory) {
  std::map<std::int32_t, Engine*> engines;
  for (std::int32_t p : partitions) engines[p] = &tasks_.at(p)->engine;
  // Until they are back, these partitions make /readyz answer 503 and are
  // hidden from /v1 (their engines are half filled).
  restoring_.insert(partitions.begin(), partitions.end());
  struct Done {
    std::set<std::int32_t>& restoring;
    const std::vector<std::int32_t>& partitions;
    ~Done() {
      for (std::int32_t p : partitions) restoring.erase(p);
    }
  } done{restoring_, partitions};
  if (restore_delay_.count() > 0 && !partitions.empty()) {  // test-only
    const auto until = std::chrono::steady_clock::now() + restore_delay_;
    while (std::chrono::steady_clock::now() < until) {
      idle();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  restorer_->restore(engines, [this, watch_memory] {
    idle();
    if (watch_memory) memory_.check();  // may throw MemoryCeilingExceeded through the restorer
  });
}

}  // namespace crp::kafka
