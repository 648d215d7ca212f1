// The engine's challenges in their slots and their one timer each: restore,
// drop, the dirty set the changelog writer takes, and keeping the timer queue
// in step with each challenge's next deadline.
#include <iterator>

#include "adapter/engine/engine.h"
#include "adapter/engine/watch/plan_codec.h"

namespace crp {

void Engine::restore(Challenge c) {
  TimerQueue::Slot slot = slot_for(c.id, /*mark_dirty=*/false);
  slots_[slot] = std::move(c);
  sync_timer(slot);
}

void Engine::reserve(std::size_t challenges) {
  index_.reserve(challenges);
  slots_.reserve(challenges);
  is_dirty_.reserve(challenges);
  timers_.reserve(challenges);
}

void Engine::drop(const std::string& id) {
  const TimerQueue::Slot slot = index_.erase(id, slots_);
  if (slot == ChallengeIndex::kNone) return;
  timers_.cancel(slot);
  slots_[slot] = Challenge{};
  free_slots_.push_back(slot);
}

std::vector<std::string> Engine::take_dirty() {
  std::vector<std::string> ids;
  ids.reserve(dirty_.size());
  for (TimerQueue::Slot s : dirty_) {
    is_dirty_[s] = false;
    if (!slots_[s].id.empty()) ids.push_back(slots_[s].id);
  }
  dirty_.clear();
  std::move(forgotten_.begin(), forgotten_.end(), std::back_inserter(ids));
  forgotten_.clear();
  for (const std::string& plan : watch_.take_dirty())
    ids.push_back(std::string(kPlanKeyPrefix) + plan);
  return ids;
}

TimerQueue::Slot Engine::slot_for(const std::string& id, bool mark_dirty) {
  TimerQueue::Slot slot = index_.find(id, slots_);
  if (slot == ChallengeIndex::kNone) {
    slot = allocate_slot();
    // The index confirms a match against slots_[slot].id: the caller stores
    // the challenge (with this id) in the slot before the next lookup.
    index_.insert(id, slot);
  }
  if (mark_dirty && !is_dirty_[slot]) {
    is_dirty_[slot] = true;
    dirty_.push_back(slot);
  }
  return slot;
}

TimerQueue::Slot Engine::allocate_slot() {
  if (!free_slots_.empty()) {
    const TimerQueue::Slot slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  slots_.emplace_back();
  is_dirty_.push_back(false);
  return static_cast<TimerQueue::Slot>(slots_.size() - 1);
}

void Engine::sync_timer(TimerQueue::Slot slot) {
  const Challenge& c = slots_[slot];
  if (c.closed() && closed_retention_.count() > 0) {
    // Closing is the last lifecycle entry of the history.
    const Instant closed_at = c.history.empty() ? c.last_event_at : c.history.back().at;
    timers_.set(slot, (closed_at + closed_retention_).time_since_epoch().count());
    return;
  }
  if (auto next = c.next_deadline()) {
    timers_.set(slot, next->time_since_epoch().count());
  } else {
    timers_.cancel(slot);
  }
}

}  // namespace crp
