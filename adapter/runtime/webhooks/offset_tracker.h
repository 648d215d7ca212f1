// Which outbox offset may be committed: the outbox offset moves past a record
// only when every delivery it caused was delivered, written durably to the
// pending-deliveries topic, or dead-lettered (issue 4). Deliveries settle in
// any order (one partner is fast, another retries), so a record's offset is
// committable only when it and every record before it have settled.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace crp::webhooks {

class OffsetTracker {
 public:
  // The record at `offset` was read and caused `deliveries` deliveries (0: settled at once).
  void consumed(std::int64_t offset, int deliveries) {
    if (deliveries > 0) open_[offset] += deliveries;
    if (!next_ || offset + 1 > *next_) next_ = offset + 1;
  }
  // One delivery of the record at `offset` settled. Unknown offsets are ignored.
  void settled(std::int64_t offset) {
    auto it = open_.find(offset);
    if (it != open_.end() && --it->second <= 0) open_.erase(it);
  }
  // The offset to commit (the next record to read after a restart), or
  // nullopt before the first record.
  std::optional<std::int64_t> committable() const {
    if (!open_.empty()) return open_.begin()->first;
    return next_;
  }
  std::size_t open_records() const { return open_.size(); }

 private:
  std::map<std::int64_t, int> open_;  // offset -> deliveries not yet settled
  std::optional<std::int64_t> next_;
};

}  // namespace crp::webhooks
