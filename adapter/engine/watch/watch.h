// The drift watchdog: applies case-activity events and due checks to watched
// plans and decides the findings. Pure like the protocol engine (no I/O, no
// clock): the caller says what time it is. A breached rule becomes
// watch.breach and a suggestion to a person; the watch never raises a
// challenge (docs/decisions/0053).
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "adapter/engine/effect.h"
#include "adapter/engine/inbound_event.h"
#include "adapter/engine/protocol_set.h"
#include "adapter/engine/watch/watched_plan.h"

namespace crp {

class Watch {
 public:
  explicit Watch(std::shared_ptr<const ProtocolSet> protocols) : protocols_(std::move(protocols)) {}
  // A new calendar applies to checks computed from now on; the ones already
  // scheduled keep their instants (docs/decisions/0060).
  void set_protocols(std::shared_ptr<const ProtocolSet> protocols) {
    protocols_ = std::move(protocols);
  }

  // Applies one case-activity event (is_activity(e.type)) decided at `now`.
  void apply(const InboundEvent& e, Instant now, Effects& out);
  // A challenge was raised naming `finding_id`: when the plan is watched here,
  // its finding is marked taken up (watch.suggestion_taken_up).
  void take_up(const std::string& finding_id, const std::string& challenge_id, Instant now,
               Effects& out);
  // Checks every plan due at or before `now`.
  void advance_to(Instant now, Effects& out);
  std::optional<Instant> next_due() const;

  const WatchedPlan* find(const std::string& plan_id) const;
  void restore(WatchedPlan plan);
  void drop(const std::string& plan_id);
  // Plans changed since the last call; find() is null for forgotten ones.
  std::vector<std::string> take_dirty();
  std::size_t size() const { return plans_.size(); }
  std::size_t pending_checks() const { return timers_.size(); }  // plans with a check ahead
  void reserve(std::size_t plans) { plans_.reserve(plans); }

  template <typename F>
  void for_each(F&& f) const {
    for (const auto& [id, plan] : plans_) f(plan);
  }

  // The plan a finding belongs to (its id is "<plan_id>/<rule>/<n>").
  static std::string plan_of(const std::string& finding_id);

 private:
  class Check;  // the work of one event or one due check on one plan

  void sync_timer(const WatchedPlan& plan);
  void mark_dirty(const std::string& id);
  void forget(const std::string& id);

  std::shared_ptr<const ProtocolSet> protocols_;
  std::unordered_map<std::string, WatchedPlan> plans_;
  std::set<std::pair<Instant, std::string>> timers_;  // (next check, plan id)
  std::unordered_map<std::string, Instant> timer_of_;
  std::vector<std::string> dirty_;
  std::unordered_set<std::string> is_dirty_;
};

}  // namespace crp
