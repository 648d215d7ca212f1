// ExactlyOnceService: runtime.memory_limit_mib (docs/decisions/0031).
// Partitions newly assigned are restored while the resident memory is
// watched; those whose restore takes it past the limit are refused: their
// state is dropped, their input paused (nothing consumed, no offset
// committed, so nothing is lost and another instance can take them), and
// /readyz answers 503 until a rebalance takes them away. Partitions already
// owned keep running.
#include <algorithm>

#include "adapter/infra/kafka/json_log.h"
#include "adapter/runtime/admin/process_metrics.h"
#include "adapter/runtime/kafka/exactly_once_service.h"

namespace crp::kafka {

void ExactlyOnceService::restore_or_refuse(const std::vector<std::int32_t>& fresh) {
  if (fresh.empty()) return;
  // Together first: the usual case, as fast as a restore without a limit.
  try {
    restore(fresh, true);
    return;
  } catch (const MemoryCeilingExceeded& e) {
    abandon_restore(fresh);
    if (fresh.size() == 1) {
      refuse(fresh, e.rss_bytes());
      return;
    }
    log(LogLevel::warning, "memory limit reached restoring new partitions; retrying one at a time",
        {{"partitions", partition_list(fresh)},
         {"rss_mib", mib(e.rss_bytes())},
         {"limit_mib", mib(memory_.limit_bytes())}});
  }
  // Then one at a time, so that the partitions which fit are kept and only
  // those which do not are refused.
  std::vector<std::int32_t> refused;
  std::uint64_t peak = 0;
  for (std::int32_t p : fresh) {
    tasks_[p] = std::make_unique<PartitionTask>(config_, start_calendar_, p, intake_metrics_.get());
    try {
      restore({p}, true);
    } catch (const MemoryCeilingExceeded& e) {
      abandon_restore({p});
      refused.push_back(p);
      peak = std::max(peak, e.rss_bytes());
    }
  }
  if (!refused.empty()) refuse(refused, peak);
}

// An interrupted restore: its partitions' half-filled state goes, and the
// memory with it.
void ExactlyOnceService::abandon_restore(const std::vector<std::int32_t>& partitions) {
  for (std::int32_t p : partitions) tasks_.erase(p);
  // The interrupted restorer is still assigned to the changelog and keeps
  // prefetching it: a fresh one frees its buffers and can have no stale
  // record in its queue.
  restorer_.reset();
  restorer_ = std::make_unique<ChangelogRestorer>(config_);
  MemoryCeiling::release_free_memory();
}

// Partitions whose state is dropped already (abandon_restore).
void ExactlyOnceService::refuse(const std::vector<std::int32_t>& partitions,
                                std::uint64_t rss_bytes) {
  for (std::int32_t p : partitions) {
    refused_[p] = rss_bytes;
    metrics_.refusals->with({std::to_string(p)}).inc();
  }
  log(LogLevel::error,
      "partitions refused: resident memory passed runtime.memory_limit_mib while restoring them; "
      "they stay paused until revoked (scale out, or raise the limit and restart)",
      {{"partitions", partition_list(partitions)},
       {"rss_mib", mib(rss_bytes)},
       {"limit_mib", mib(memory_.limit_bytes())},
       {"rss_mib_after_release", mib(admin::resident_memory_bytes().value_or(0))},
       {"owned", tasks_.size()},
       {"refused", refused_.size()}});
}

void ExactlyOnceService::pause_refused() {
  // Every input topic's partition N: no fetch, so no record of theirs is
  // processed and no offset of theirs is committed.
  TopicPartitions pause;
  for (const auto& [topic, partition] : assigned_) {
    if (refused_.count(partition)) pause.add(topic, partition, RdKafka::Topic::OFFSET_INVALID);
  }
  if (pause.empty()) return;
  if (RdKafka::ErrorCode err = consumer_->pause(pause.get()); err != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("cannot pause refused partitions: " + RdKafka::err2str(err));
  }
}

}  // namespace crp::kafka
