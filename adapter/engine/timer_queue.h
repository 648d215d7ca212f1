// Earliest-deadline-first queue of one timer per slot (the engine keeps one
// timer per challenge: its next deadline). An indexed binary heap: set, cancel
// and pop are O(log n); 16 bytes per entry plus 4 per slot. Deterministic:
// equal deadlines pop in slot order. No clock is read here.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace crp {

class TimerQueue {
 public:
  using Slot = std::uint32_t;
  struct Entry {
    std::int64_t due;  // milliseconds since the epoch
    Slot slot;
  };

  // Sets (or moves) the timer of `slot` to `due`.
  void set(Slot slot, std::int64_t due);
  // Removes the timer of `slot`, if any.
  void cancel(Slot slot);
  bool contains(Slot slot) const { return slot < pos_.size() && pos_[slot] != kNone; }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  // The earliest entry; requires !empty().
  const Entry& top() const { return heap_.front(); }
  // Removes and returns the earliest entry if it is due at or before `now`.
  std::optional<Entry> pop_due(std::int64_t now);
  void reserve(std::size_t n) {
    heap_.reserve(n);
    pos_.reserve(n);
  }
  std::size_t memory_bytes() const {
    return heap_.capacity() * sizeof(Entry) + pos_.capacity() * sizeof(std::uint32_t);
  }

 private:
  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
  static bool before(const Entry& a, const Entry& b) {
    return a.due < b.due || (a.due == b.due && a.slot < b.slot);
  }
  void place(std::size_t i, const Entry& e) {
    heap_[i] = e;
    pos_[e.slot] = static_cast<std::uint32_t>(i);
  }
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);
  void remove_at(std::size_t i);

  std::vector<Entry> heap_;
  std::vector<std::uint32_t> pos_;  // slot -> index in heap_, or kNone
};

}  // namespace crp
