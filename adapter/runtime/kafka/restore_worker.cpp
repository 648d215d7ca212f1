#include "adapter/runtime/kafka/restore_worker.h"

#include <algorithm>
#include <stdexcept>

#include "adapter/engine/challenge_codec.h"

namespace crp::kafka {

void RecordBatch::add(std::int32_t partition, std::int64_t offset, std::string_view key,
                      const void* value, std::size_t value_len) {
  Record r{partition, value == nullptr, offset, bytes_.size(), key.size(), 0, 0};
  bytes_.append(key);
  r.value_at = bytes_.size();
  if (value) {
    bytes_.append(static_cast<const char*>(value), value_len);
    r.value_len = value_len;
  }
  records_.push_back(r);
}

RestoreWorker::RestoreWorker(std::map<std::int32_t, Engine*> engines)
    : engines_(std::move(engines)), thread_([this] { run(); }) {}

RestoreWorker::~RestoreWorker() {
  {
    std::lock_guard lock(mutex_);
    abandon_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RestoreWorker::push(RecordBatch batch) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return queue_.size() < kMaxQueued || error_; });
  if (error_) return;  // the reader sees failed() and stops
  queue_.push_back(std::move(batch));
  lock.unlock();
  changed_.notify_all();
}

bool RestoreWorker::failed() const {
  std::lock_guard lock(mutex_);
  return error_ != nullptr;
}

void RestoreWorker::finish() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (error_) std::rethrow_exception(error_);
}

void RestoreWorker::run() {
  for (;;) {
    RecordBatch batch;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return !queue_.empty() || closing_ || abandon_; });
      if (abandon_ || queue_.empty()) return;  // abandoned, or closing and drained
      batch = std::move(queue_.front());
      queue_.pop_front();
    }
    changed_.notify_all();  // room for the reader
    try {
      apply(batch);
    } catch (...) {
      {
        std::lock_guard lock(mutex_);
        error_ = std::current_exception();
      }
      changed_.notify_all();
      return;
    }
  }
}

void RestoreWorker::apply(const RecordBatch& batch) {
  std::string error;
  for (const RecordBatch::Record& r : batch.records()) {
    Engine& engine = *engines_.at(r.partition);
    if (r.tombstone) {
      engine.drop_state(batch.key(r));
      continue;
    }
    if (!engine.restore_state(batch.key(r), batch.value(r), error)) {
      throw std::runtime_error("changelog record at partition " + std::to_string(r.partition) +
                               " offset " + std::to_string(r.offset) +
                               " cannot be decoded: " + error);
    }
  }
}

namespace {

// A batch handed to a worker: large enough that the hand-over costs nothing
// per record, small enough that the worker starts at once.
constexpr std::size_t kBatchRecords = 2048;
constexpr std::size_t kBatchBytes = 1 << 20;

}  // namespace

RestorePool::RestorePool(const std::map<std::int32_t, Engine*>& engines, std::size_t threads) {
  const std::size_t lanes = std::max<std::size_t>(1, std::min(threads, engines.size()));
  std::vector<std::map<std::int32_t, Engine*>> shares(lanes);
  std::size_t next = 0;
  for (const auto& [partition, engine] : engines) {
    lane_of_[partition] = next;
    shares[next][partition] = engine;
    next = (next + 1) % lanes;
  }
  lanes_.resize(lanes);
  for (std::size_t i = 0; i < lanes; ++i) {
    lanes_[i].worker = std::make_unique<RestoreWorker>(std::move(shares[i]));
  }
}

void RestorePool::add(std::int32_t partition, std::int64_t offset, std::string_view key,
                      const void* value, std::size_t value_len) {
  Lane& lane = lanes_[lane_of_.at(partition)];
  lane.batch.add(partition, offset, key, value, value_len);
  if (lane.batch.size() >= kBatchRecords || lane.batch.bytes() >= kBatchBytes) hand_over(lane);
}

void RestorePool::hand_over(Lane& lane) {
  if (lane.batch.empty()) return;
  lane.worker->push(std::move(lane.batch));
  lane.batch = RecordBatch();
}

void RestorePool::hand_over_all() {
  for (Lane& lane : lanes_) hand_over(lane);
}

bool RestorePool::filling() const {
  return std::any_of(lanes_.begin(), lanes_.end(),
                     [](const Lane& lane) { return !lane.batch.empty(); });
}

bool RestorePool::failed() const {
  return std::any_of(lanes_.begin(), lanes_.end(),
                     [](const Lane& lane) { return lane.worker->failed(); });
}

void RestorePool::finish() {
  hand_over_all();
  std::exception_ptr first;
  for (Lane& lane : lanes_) {
    try {
      lane.worker->finish();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

}  // namespace crp::kafka
