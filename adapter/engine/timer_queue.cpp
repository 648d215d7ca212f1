#include "adapter/engine/timer_queue.h"

namespace crp {

void TimerQueue::set(Slot slot, std::int64_t due) {
  if (slot >= pos_.size()) pos_.resize(slot + 1, kNone);
  if (pos_[slot] != kNone) {
    std::size_t i = pos_[slot];
    bool earlier = due < heap_[i].due;
    heap_[i].due = due;
    earlier ? sift_up(i) : sift_down(i);
    return;
  }
  heap_.push_back(Entry{due, slot});
  pos_[slot] = static_cast<std::uint32_t>(heap_.size() - 1);
  sift_up(heap_.size() - 1);
}

void TimerQueue::cancel(Slot slot) {
  if (contains(slot)) remove_at(pos_[slot]);
}

std::optional<TimerQueue::Entry> TimerQueue::pop_due(std::int64_t now) {
  if (heap_.empty() || heap_.front().due > now) return std::nullopt;
  Entry e = heap_.front();
  remove_at(0);
  return e;
}

void TimerQueue::remove_at(std::size_t i) {
  pos_[heap_[i].slot] = kNone;
  Entry last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) return;
  place(i, last);
  sift_up(i);
  sift_down(pos_[last.slot]);
}

void TimerQueue::sift_up(std::size_t i) {
  Entry e = heap_[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (!before(e, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, e);
}

void TimerQueue::sift_down(std::size_t i) {
  Entry e = heap_[i];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], e)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, e);
}

}  // namespace crp
