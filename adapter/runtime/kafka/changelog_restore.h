// Rebuilds engines from the compacted changelog topic: every record of the
// given partitions, read_committed, from the beginning to the end that was
// committed when the restore began. A record's key is the challenge id, its
// value encode_challenge(); a tombstone deletes. Blocking by design: a
// partition is not processed before its state (timers included) is back.
// The reading runs on the caller's thread, the decoding on a RestoreWorker.
#pragma once

#include <cstdint>
#include <functional>
#include <map>

#include "adapter/engine/engine.h"
#include "adapter/infra/kafka/event_logger.h"
#include "adapter/infra/kafka/rdkafka_handles.h"
#include "adapter/runtime/service_config.h"

namespace crp::kafka {

class ChangelogRestorer {
 public:
  explicit ChangelogRestorer(const ServiceConfig& config);
  ~ChangelogRestorer();

  // engines: changelog partition -> the (empty) engine to fill.
  // between_reads: called after every read (or wait of at most 200 ms), so
  // the caller's thread can answer health checks during a long restore.
  void restore(const std::map<std::int32_t, Engine*>& engines,
               const std::function<void()>& between_reads = {});

 private:
  void refresh_leaders(const std::string& topic);
  const ServiceConfig& config_;
  EventLogger events_{"restore"};
  ConsumerPtr consumer_;    // reads, read_committed
  ConsumerPtr end_reader_;  // asks the true end (high watermark), read_uncommitted
};

}  // namespace crp::kafka
