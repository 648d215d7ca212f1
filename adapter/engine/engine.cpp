#include "adapter/engine/engine.h"

#include <algorithm>
#include <iterator>
#include <stdexcept>

#include "adapter/engine/admission.h"
#include "adapter/engine/step.h"

namespace crp {
namespace {

// Seen ids carry the event's fingerprint, as 16 lower-case hex digits, after
// this byte (event ids are printable text, so it cannot occur in one).
constexpr char kFingerprintSeparator = '\x1f';

std::string fingerprint_text(std::uint64_t fingerprint) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, fingerprint >>= 4)
    out[static_cast<std::size_t>(i)] = kHex[fingerprint & 0xf];
  return out;
}

SeenBefore seen_before(const std::vector<std::string>& seen, const std::string& id,
                       const std::string& fingerprint) {
  for (const std::string& entry : seen) {
    if (entry == id)
      return SeenBefore::same_content;  // state from before fingerprints: cannot tell
    if (entry.size() == id.size() + 1 + fingerprint.size() &&
        entry.compare(0, id.size(), id) == 0 && entry[id.size()] == kFingerprintSeparator) {
      return entry.compare(id.size() + 1, std::string::npos, fingerprint) == 0
                 ? SeenBefore::same_content
                 : SeenBefore::other_content;
    }
  }
  return SeenBefore::no;
}

std::string challenge_protocol_mismatch(const std::string& held_protocol) {
  return "challenge runs under " + held_protocol;
}

}  // namespace

Engine::Engine(std::shared_ptr<const ProtocolSet> protocols)
    : protocols_(protocols), watch_(std::move(protocols)) {}

void Engine::apply(const InboundEvent& e, Instant now, Effects& out) {
  announce_restored(now, out);
  if (is_activity(e.type)) return watch_.apply(e, now, out);
  const Admission admission(e, now, out, Admission::Subject::challenge);
  const ProtocolRuntime* rt =
      admission.protocol(*protocols_, "unknown protocol " + quoted_identifier(e.protocol));
  if (!rt || !admission.dates_in_range(e.meeting_at)) return;
  if (auto q = quarantined_.find(e.challenge_id); q != quarantined_.end()) {
    return admission.refuse(
        {"crp.ChallengeQuarantined", "challenge is quarantined: " + q->second.reason});
  }
  const TimerQueue::Slot found = index_.find(e.challenge_id, slots_);
  Challenge work;
  const std::string fingerprint = fingerprint_text(event_fingerprint(e));
  if (found != ChallengeIndex::kNone) {
    const Challenge& existing = slots_[found];
    const Admission::Held held{seen_before(existing.seen_event_ids, e.event_id, fingerprint),
                               existing.protocol, challenge_protocol_mismatch,
                               existing.last_event_at};
    std::optional<Refusal> duplicate, closed;
    if (creates_challenge(e.type))
      duplicate = {"crp.DuplicateChallenge", "challenge already exists"};
    if (existing.closed()) closed = {"crp.ChallengeClosed", "challenge is closed"};
    if (admission.against(held, std::move(duplicate), std::move(closed)) !=
        Admission::Verdict::admit)
      return;
    work = existing;
    // It runs under the version it started under (or was migrated to).
    rt = protocols_->find(existing.protocol, existing.protocol_version);
    if (!rt) {
      return admission.refuse({"crp.ProtocolVersionNotLoaded",
                               "challenge runs under protocol " + existing.protocol + " version " +
                                   std::to_string(existing.protocol_version) + ", not loaded"});
    }
  } else {
    if (!creates_challenge(e.type))
      return admission.refuse({"crp.UnknownChallenge", "no such challenge"});
    work.id = e.challenge_id;
    work.protocol = e.protocol;
    work.protocol_version = rt->protocol.version;  // the newest loaded
  }

  Effects produced;
  try {
    Step(*rt, work, now, produced).on_event(e);
  } catch (Refusal& r) {
    return admission.refuse(std::move(r));
  }
  work.last_event_at = e.occurred_at;
  work.seen_event_ids.push_back(e.event_id + kFingerprintSeparator + fingerprint);
  TimerQueue::Slot slot = slot_for(e.challenge_id);
  slots_[slot] = std::move(work);
  sync_timer(slot);
  if (!e.finding_id.empty()) link_finding(e, now, produced);
  std::move(produced.begin(), produced.end(), std::back_inserter(out));
}

void Engine::advance_to(Instant now, Effects& out) {
  announce_restored(now, out);
  const auto now_ms = now.time_since_epoch().count();
  while (auto entry = timers_.pop_due(now_ms)) {
    fire(entry->slot, Instant(std::chrono::milliseconds(entry->due)), now, out);
  }
  watch_.advance_to(now, out);
}

void Engine::fire(TimerQueue::Slot slot, Instant due, Instant now, Effects& out) {
  Challenge& c = slots_[slot];
  if (c.closed()) {  // its retention ran out: forget it, tombstone its state
    forgotten_.push_back(c.id);
    drop(c.id);
    return;
  }
  // Loaded: restore placed it (or quarantined it), and only the calendar changes while running.
  const ProtocolRuntime* rt = protocols_->find(c.protocol, c.protocol_version);
  if (!rt) throw std::logic_error("challenge " + c.id + " runs under a protocol no longer loaded");
  // A deadline that passed while nobody was looking (late event, restart) is
  // decided now; what it records still happened at the deadline.
  Step(*rt, c, std::max(due, now), out).on_deadline(due);
  if (auto next = c.next_deadline(); next && *next <= due) {
    throw std::logic_error("deadline of challenge " + c.id + " did not advance");  // would loop
  }
  if (!is_dirty_[slot]) {
    is_dirty_[slot] = true;
    dirty_.push_back(slot);
  }
  sync_timer(slot);
}

void Engine::change_calendar(std::shared_ptr<const ProtocolSet> next, Instant now, Effects& out) {
  // In id order, so the outputs do not depend on where challenges sit in memory.
  std::vector<TimerQueue::Slot> open;
  index_.for_each_slot([&](TimerQueue::Slot slot) {
    if (!slots_[slot].closed()) open.push_back(slot);
  });
  std::sort(open.begin(), open.end(),
            [&](TimerQueue::Slot a, TimerQueue::Slot b) { return slots_[a].id < slots_[b].id; });
  for (const TimerQueue::Slot slot : open) {
    const Challenge& c = slots_[slot];
    const ProtocolRuntime* before = protocols_->find(c.protocol, c.protocol_version);
    const ProtocolRuntime* after = next->find(c.protocol, c.protocol_version);
    if (!before || !after) continue;
    Challenge work = c;
    Effects produced;
    if (!Step(*after, work, now, produced).on_calendar_change(*before)) continue;
    slots_[slot] = std::move(work);
    if (!is_dirty_[slot]) {
      is_dirty_[slot] = true;
      dirty_.push_back(slot);
    }
    sync_timer(slot);
    std::move(produced.begin(), produced.end(), std::back_inserter(out));
  }
  protocols_ = next;
  watch_.set_protocols(std::move(next));
}

std::optional<Instant> Engine::next_due() const {
  std::optional<Instant> plan = watch_.next_due();
  if (timers_.empty()) return plan;
  const Instant challenge(std::chrono::milliseconds(timers_.top().due));
  return plan && *plan < challenge ? plan : challenge;
}

const Challenge* Engine::find(const std::string& id) const {
  const TimerQueue::Slot slot = index_.find(id, slots_);
  return slot == ChallengeIndex::kNone ? nullptr : &slots_[slot];
}

}  // namespace crp
