// The protocol engine: applies canonical events and due timers to challenge
// state and decides the effects. Pure: no I/O, no clock, no randomness; the
// caller says what time it is. Same inputs, same effects, byte for byte.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/engine/agency_codes.h"
#include "adapter/engine/challenge.h"
#include "adapter/engine/challenge_index.h"
#include "adapter/engine/effect.h"
#include "adapter/engine/inbound_event.h"
#include "adapter/engine/protocol_set.h"
#include "adapter/engine/timer_queue.h"
#include "adapter/engine/watch/watch.h"

namespace crp {

class Engine {
 public:
  explicit Engine(std::shared_ptr<const ProtocolSet> protocols);

  // Applies one event decided at time `now` (deadlines run from the event's
  // occurred_at). Case-activity events go to the watch. An event that cannot apply yields one
  // DlqDecision and leaves the state unchanged; a repeated event_id yields nothing.
  void apply(const InboundEvent& event, Instant now, Effects& out);

  // Fires, in deadline order, every timer due at or before `now`.
  void advance_to(Instant now, Effects& out);

  // A new calendar (the same protocols, each with a working calendar from a
  // changed bank-holidays file) from `now`: every open deadline counted in
  // working or calendar days that the change moves is recounted from what it
  // was counted from, with challenge.deadline_changed and an email to those it
  // waits on (docs/decisions/0060). Deadlines already passed stay as they were.
  void change_calendar(std::shared_ptr<const ProtocolSet> next, Instant now, Effects& out);
  // The protocols and calendars the engine runs under (the latest calendar).
  const ProtocolSet& protocols() const { return *protocols_; }
  // The restored state was counted under `before`'s calendar, not the one the
  // engine was built with: the next change_calendar() recounts from it.
  void assume_calendar(std::shared_ptr<const ProtocolSet> before);

  // What the state was counted under, kept in each changelog partition beside
  // the challenges under reserved keys (like the drift watch's "watch:"): the
  // text of the bank-holidays file (kCalendarKey), so a file changed while the
  // service was stopped is caught up after the restore (decision 0060), and
  // the digest of each protocol version's definition (kProtocolsKey), so a
  // version edited in place is noticed (decision 0061).
  static constexpr std::string_view kCalendarKey = "crp:calendar";
  static constexpr std::string_view kProtocolsKey = "crp:protocols";
  static bool is_counted_key(std::string_view key) { return key.starts_with("crp:"); }
  // Null when the changelog holds none (state from before it was kept).
  const std::string* counted(std::string_view key) const;
  // Records it; written with the state of the next take_dirty() if it changed.
  void set_counted(std::string_view key, std::string text);

  // The earliest pending deadline over all challenges.
  std::optional<Instant> next_due() const;

  const Challenge* find(const std::string& challenge_id) const;
  std::size_t size() const { return index_.size(); }
  std::size_t pending_timers() const { return timers_.size(); }

  // Restores a challenge (from the changelog) with its timers; replaces any
  // existing state for the same id. Where it runs is decided as it comes back
  // (adapter/engine/protocol_placement.h): under its own protocol version; moved
  // to a newer one by that version's migration (challenge.protocol_migrated is
  // emitted by the next apply or advance_to, and the moved state then written);
  // or quarantined.
  void restore(Challenge c);
  // A challenge restored into a configuration with no place for it: kept
  // as it was (its changelog record is never rewritten), none of its timers
  // run, and its events are dead-lettered with the reason, until a
  // configuration that has its protocol version and stage is deployed
  // (docs/decisions/0061). challenge.quarantined goes to the operations topic.
  struct Quarantined {
    Challenge challenge;
    std::string reason;
  };
  const std::map<std::string, Quarantined>& quarantined() const { return quarantined_; }
  // Restored challenges moved to a newer version, not yet announced: the
  // version and stage each left (find() gives where it is now).
  struct Moved {
    int from_version;
    std::string from_stage;
  };
  const std::map<std::string, Moved>& migrated_on_restore() const { return migrated_; }
  // Makes room for `challenges` in all, so a restore of that many neither
  // rehashes the index nor moves every challenge as the slots grow.
  void reserve(std::size_t challenges);
  // Forgets a challenge (its partition was revoked).
  void drop(const std::string& challenge_id);

  // The drift watchdog's plans, beside the challenges: their state shares the
  // changelog under keys "watch:<plan_id>" (adapter/engine/watch/plan_codec.h).
  const Watch& watch() const { return watch_; }
  // The changelog value of a key take_dirty() returned; empty: delete the key.
  std::string encode_state(const std::string& key) const;
  // Restores a changelog record (a challenge or a plan, by its key); false
  // with `error` when the bytes cannot be read. A tombstone is drop_state().
  bool restore_state(std::string_view key, std::string_view value, std::string& error);
  void drop_state(std::string_view key);
  // How long a closed challenge is kept (to answer late events and ignore
  // duplicates) before it is forgotten and its changelog key deleted; zero
  // keeps it forever. See docs/decisions/0024-closed-challenges-are-forgotten.md.
  void set_closed_retention(std::chrono::milliseconds retention) { closed_retention_ = retention; }
  // The agency codes of the service (config/agencies.json): a challenge restored
  // from state written before agencies were coded holds the case system's text,
  // coded here once, so every sink sees a code (docs/decisions/0042).
  void set_agency_codes(const AgencyCodes* codes) { agency_codes_ = codes; }
  // Ids of challenges whose state changed since the last call, forgotten ones
  // included (find() returns nullptr for those: delete their state).
  std::vector<std::string> take_dirty();

  template <typename F>
  void for_each(F&& f) const {
    index_.for_each_slot([&](TimerQueue::Slot slot) { f(slots_[slot]); });
  }

 private:
  class Step;  // the work of one event or one timer on one challenge
  friend class Step;

  TimerQueue::Slot slot_for(const std::string& id, bool mark_dirty = true);
  TimerQueue::Slot allocate_slot();
  void sync_timer(TimerQueue::Slot slot);
  void fire(TimerQueue::Slot slot, Instant due, Instant now, Effects& out);
  void link_finding(const InboundEvent& e, Instant now, Effects& produced);
  // The notices of restore's migrations and quarantines, at the first time the engine is told.
  void announce_restored(Instant now, Effects& out);

  std::shared_ptr<const ProtocolSet> protocols_;
  std::vector<Challenge> slots_;
  std::vector<TimerQueue::Slot> free_slots_;
  ChallengeIndex index_;
  TimerQueue timers_;
  std::vector<TimerQueue::Slot> dirty_;
  std::vector<bool> is_dirty_;
  std::vector<std::string> forgotten_;  // since the last take_dirty()
  Watch watch_;
  std::chrono::milliseconds closed_retention_{0};
  const AgencyCodes* agency_codes_ = nullptr;
  std::map<std::string, Quarantined> quarantined_;
  std::map<std::string, std::string, std::less<>> counted_;
  std::vector<std::string> counted_dirty_;
  // Restored since the last announcement, by id: migrated (the version and stage it
  // left) or quarantined (announced again after each restore, until it is placed).
  std::map<std::string, Moved> migrated_;
  std::vector<std::string> newly_quarantined_;
};

}  // namespace crp
