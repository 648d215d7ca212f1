// The engine's challenges in their slots and their one timer each: restore,
// drop, the dirty set the changelog writer takes, and keeping the timer queue
// in step with each challenge's next deadline.
#include <algorithm>
#include <iterator>

#include "adapter/engine/engine.h"
#include "adapter/engine/protocol_placement.h"
#include "adapter/engine/step.h"
#include "adapter/engine/watch/plan_codec.h"

namespace crp {

void Engine::restore(Challenge c) {
  if (agency_codes_ && !c.agency.empty() && !agency_codes_->codes().count(c.agency))
    c.agency = agency_codes_->code_of(c.agency).code;
  const Placement placed = place(*protocols_, c);
  if (placed.kind == Placement::Kind::quarantined) {
    drop(c.id);
    newly_quarantined_.push_back(c.id);
    std::string id = c.id;
    quarantined_.insert_or_assign(std::move(id), Quarantined{std::move(c), placed.reason});
    return;
  }
  quarantined_.erase(c.id);
  if (placed.kind == Placement::Kind::migrated) {
    // Not marked dirty: the moved state is written once its notice is out, so
    // a crash before then moves it again on the next restore, and announces it.
    migrated_.insert_or_assign(c.id, Moved{c.protocol_version, c.stage});
    migrate(c, placed);
  } else {
    migrated_.erase(c.id);
  }
  TimerQueue::Slot slot = slot_for(c.id, /*mark_dirty=*/false);
  slots_[slot] = std::move(c);
  sync_timer(slot);
}

void Engine::announce_restored(Instant now, Effects& out) {
  if (migrated_.empty() && newly_quarantined_.empty()) return;
  for (const auto& [id, moved] : migrated_) {
    const TimerQueue::Slot slot = index_.find(id, slots_);
    if (slot == ChallengeIndex::kNone) continue;  // dropped since
    Challenge& c = slots_[slot];
    Step(*protocols_->find(c.protocol, c.protocol_version), c, now, out)
        .on_migrated(moved.from_version, moved.from_stage);
    if (!is_dirty_[slot]) {
      is_dirty_[slot] = true;
      dirty_.push_back(slot);
    }
  }
  migrated_.clear();
  std::sort(newly_quarantined_.begin(), newly_quarantined_.end());
  newly_quarantined_.erase(std::unique(newly_quarantined_.begin(), newly_quarantined_.end()),
                           newly_quarantined_.end());
  for (const std::string& id : newly_quarantined_) {
    auto q = quarantined_.find(id);
    if (q == quarantined_.end()) continue;
    const Challenge& c = q->second.challenge;
    // Its state is not changed, so it takes no output number of its own (c.seq).
    out.push_back(effect_about(
        c, c.seq, now,
        OperationsNotice{"challenge.quarantined", q->second.reason, c.protocol_version, c.stage}));
  }
  newly_quarantined_.clear();
}

void Engine::reserve(std::size_t challenges) {
  index_.reserve(challenges);
  slots_.reserve(challenges);
  is_dirty_.reserve(challenges);
  timers_.reserve(challenges);
}

void Engine::drop(const std::string& id) {
  quarantined_.erase(id);
  migrated_.erase(id);
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
  std::sort(counted_dirty_.begin(), counted_dirty_.end());
  counted_dirty_.erase(std::unique(counted_dirty_.begin(), counted_dirty_.end()),
                       counted_dirty_.end());
  std::move(counted_dirty_.begin(), counted_dirty_.end(), std::back_inserter(ids));
  counted_dirty_.clear();
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
