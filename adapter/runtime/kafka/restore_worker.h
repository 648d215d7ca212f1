// The second half of a changelog restore, on a thread of its own: decodes the
// state records the reading thread copied out of librdkafka and puts them back
// into their partitions' engines.
//
// Why a thread, and why copies: decoding and indexing a state costs about
// 2 us, reading one ~1 us. Done on the reading thread, every message's release
// also landed in the middle of the fetcher's allocations (glibc takes the
// fetcher's arena lock to free them), and the reader slept on that lock for
// most of a 1,000,000-challenge restore. The reader now copies each record
// into a batch buffer and releases the message at once, as a bare consumer
// does, and the decoding runs on the other cores. See
// docs/decisions/0034-restore-pipeline.md.
//
// RestorePool (below) runs several, each owning whole partitions. The engines
// belong to a worker from construction to finish() (or destruction): nobody
// else may touch them in between. The restoring partitions are hidden from the
// admin API for exactly that reason.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "adapter/engine/engine.h"

namespace crp::kafka {

// Changelog records copied out of their messages: keys and values back to back
// in one buffer, so a batch is two allocations however many records it holds.
class RecordBatch {
 public:
  void add(std::int32_t partition, std::int64_t offset, std::string_view key, const void* value,
           std::size_t value_len);  // value null: a tombstone
  std::size_t size() const { return records_.size(); }
  std::size_t bytes() const { return bytes_.size(); }
  bool empty() const { return records_.empty(); }

  struct Record {
    std::int32_t partition;
    bool tombstone;
    std::int64_t offset;
    std::size_t key_at, key_len, value_at, value_len;
  };
  const std::vector<Record>& records() const { return records_; }
  std::string_view key(const Record& r) const { return {bytes_.data() + r.key_at, r.key_len}; }
  std::string_view value(const Record& r) const {
    return {bytes_.data() + r.value_at, r.value_len};
  }

 private:
  std::string bytes_;
  std::vector<Record> records_;
};

class RestoreWorker {
 public:
  explicit RestoreWorker(std::map<std::int32_t, Engine*> engines);
  // Stops and joins without applying what is still queued (the restore was
  // abandoned: the caller drops these engines).
  ~RestoreWorker();
  RestoreWorker(const RestoreWorker&) = delete;
  RestoreWorker& operator=(const RestoreWorker&) = delete;

  // Queues a batch; waits while kMaxQueued batches are queued, so a reader
  // faster than the decoder holds a bounded amount of copied records.
  void push(RecordBatch batch);
  // True once a record failed to decode: the reader can stop reading.
  bool failed() const;
  // Applies everything queued, joins, and rethrows the first failure (a
  // record that is not a state record, named by partition and offset).
  void finish();

 private:
  static constexpr std::size_t kMaxQueued = 8;
  void run();
  void apply(const RecordBatch& batch);

  std::map<std::int32_t, Engine*> engines_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<RecordBatch> queue_;
  bool closing_ = false;  // no more batches: drain and stop
  bool abandon_ = false;  // stop now
  std::exception_ptr error_;
  std::thread thread_;  // last: starts once everything above exists
};

// The workers of one restore: `threads` of them, never more than partitions. A
// partition's records always go to the same worker, so each engine has one
// writer, and its records are applied in offset order.
class RestorePool {
 public:
  RestorePool(const std::map<std::int32_t, Engine*>& engines, std::size_t threads);

  // Copies a record into its partition's batch; a full batch is handed over.
  void add(std::int32_t partition, std::int64_t offset, std::string_view key, const void* value,
           std::size_t value_len);
  // Hands over the partly filled batches too (the reader has nothing to add).
  void hand_over_all();
  bool filling() const;  // some batch holds records not yet handed over
  bool failed() const;
  // Hands over the rest, waits until every worker has applied everything, and
  // rethrows the first failure.
  void finish();

 private:
  struct Lane {
    std::unique_ptr<RestoreWorker> worker;
    RecordBatch batch;
  };
  void hand_over(Lane& lane);

  std::vector<Lane> lanes_;
  std::map<std::int32_t, std::size_t> lane_of_;  // partition -> lanes_ index
};

}  // namespace crp::kafka
