#include "adapter/delivery/delivery_engine.h"

#include <algorithm>
#include <tuple>

namespace crp::delivery {
namespace {

using std::chrono::milliseconds;

// A quota hold with no time given waits this long before trying again.
constexpr milliseconds kDefaultHold{60'000};
// A lane waiting for its partner's circuit looks again no sooner than this.
constexpr milliseconds kMinCircuitWait{50};

// The dead letter's message: reason, the attempt's short reason and a
// printable excerpt of the partner's answer. Our own request body, which
// carries case data, is never quoted.
std::string dead_letter_message(const std::string& reason, const Outcome* o) {
  std::string m = reason;
  if (o) {
    m += ": " + (o->reason.empty() ? std::string("no response") : o->reason);
    if (!o->detail.empty()) {
      std::string excerpt;
      for (char c : o->detail.substr(0, 200)) excerpt += (c >= 0x20 && c < 0x7f) ? c : ' ';
      m += "; response body: " + excerpt;
    }
  }
  return m;
}

Command note(Command::Note which, const Job& job) {
  Command c;
  c.kind = Command::Kind::note;
  c.note = which;
  c.partner_id = job.partner_id;
  c.job = job;
  c.job.body.clear();  // a note never needs (nor logs) the body
  return c;
}

Command settle(const Origin& origin) {
  Command c;
  c.kind = Command::Kind::settle;
  c.origin = origin;
  return c;
}

}  // namespace

DeliveryEngine::DeliveryEngine(std::map<std::string, PartnerPolicy> partners, std::uint64_t seed)
    : rng_(seed) {
  for (auto& [id, policy] : partners) partners_[id].policy = std::move(policy);
}

Commands DeliveryEngine::admit(Job job, const Origin& origin, Instant now) {
  Commands out;
  auto ps = partners_.find(job.partner_id);
  if (ps == partners_.end()) {
    out.push_back(note(Command::Note::unknown_partner, job));
    out.push_back(settle(origin));
    return out;
  }
  if (held_.count(pending_key(job))) {
    out.push_back(settle(origin));  // already pending (an input record read again after a restart)
    return out;
  }
  if (ps->second.disabled) {
    dead_letter(Item{std::move(job), origin, false, false}, -1, "partner disabled (HTTP 410 Gone)",
                nullptr, out);
    return out;
  }
  const LaneKey key{job.partner_id, job.challenge_id};
  Lane& lane = lanes_[key];
  if (lane.id == 0) lane.id = next_lane_id_++, lane.partition = origin.partition;
  // Due now: a job's creation time (event time) says nothing about when to call.
  job.next_attempt_at = now;
  held_.insert(pending_key(job));
  lane.items.push_back(Item{std::move(job), origin, false, false});
  if (lane.items.size() == 1 && allows(ps->second, now)) {
    attempt(key, lane, now, out);
    return out;
  }
  // Behind another job of this challenge, or the circuit is open: durable
  // now, so the input can move on.
  persist(lane, lane.items.back(), out);
  if (lane.items.size() == 1) schedule(key, lane, now);
  return out;
}

bool DeliveryEngine::allows(PartnerState& s, Instant now) const {
  if (s.hold_until && now < *s.hold_until) return false;
  if (!s.open_until) return true;
  if (now < *s.open_until) return false;
  return !s.probing;  // half-open: one probe at a time
}

void DeliveryEngine::attempt(const LaneKey& key, Lane& lane, Instant now, Commands& out) {
  (void)now;
  PartnerState& s = partners_.at(key.first);
  Item& item = lane.items.front();
  item.in_flight = true;
  ++item.job.attempt;
  if (s.open_until) s.probing = true;
  Command c;
  c.kind = Command::Kind::attempt;
  c.partner_id = key.first;
  c.job = item.job;
  c.ticket = Ticket{key.first, key.second, lane.id, item.job.webhook_id};
  out.push_back(std::move(c));
}

void DeliveryEngine::persist(Lane& lane, Item& item, Commands& out) {
  item.persisted = true;
  Command c;
  c.kind = Command::Kind::persist;
  c.partner_id = item.job.partner_id;
  c.job = item.job;
  c.partition = lane.partition;
  c.origin = std::exchange(item.origin, std::nullopt);  // settled once the write is durable
  out.push_back(std::move(c));
}

void DeliveryEngine::dead_letter(Item item, std::int32_t partition, const std::string& reason,
                                 const Outcome* o, Commands& out) {
  Command c;
  c.kind = Command::Kind::dead_letter;
  c.partner_id = item.job.partner_id;
  c.partition = partition;
  c.origin = item.origin;
  c.reason = dead_letter_message(reason, o);
  c.status = o ? o->status : 0;
  c.tombstone_after = item.persisted && partition >= 0;
  c.job = std::move(item.job);
  out.push_back(std::move(c));
}

void DeliveryEngine::dead_letter_head(const LaneKey& key, Lane& lane, const std::string& reason,
                                      const Outcome* o, Instant now, Commands& out) {
  Item item = std::move(lane.items.front());
  lane.items.pop_front();
  held_.erase(pending_key(item.job));
  dead_letter(std::move(item), lane.partition, reason, o, out);
  next(key, lane, now, out);
}

void DeliveryEngine::finish_head(const LaneKey& key, Lane& lane, Instant now, Commands& out) {
  Item item = std::move(lane.items.front());
  lane.items.pop_front();
  held_.erase(pending_key(item.job));
  if (item.origin) out.push_back(settle(*item.origin));
  if (item.persisted) {
    Command c;
    c.kind = Command::Kind::tombstone;
    c.partner_id = key.first;
    c.partition = lane.partition;
    c.job = std::move(item.job);
    out.push_back(std::move(c));
  }
  next(key, lane, now, out);
}

// Goes on with the lane's next job, or drops the empty lane (`lane` is then gone).
void DeliveryEngine::next(const LaneKey& key, Lane& lane, Instant now, Commands& out) {
  if (lane.items.empty()) {
    lanes_.erase(key);
    return;
  }
  Item& head = lane.items.front();
  if (head.in_flight) return;
  if (head.job.next_attempt_at <= now && allows(partners_.at(key.first), now)) {
    attempt(key, lane, now, out);
  } else {
    schedule(key, lane, now);
  }
}

void DeliveryEngine::schedule(const LaneKey& key, Lane& lane, Instant now) {
  Instant at = lane.items.front().job.next_attempt_at;
  const PartnerState& s = partners_.at(key.first);
  if (s.open_until) {
    const auto wait = std::chrono::duration_cast<milliseconds>(*s.open_until - now);
    at = std::max(at, now + std::max(wait, kMinCircuitWait));
  }
  if (s.hold_until) at = std::max(at, *s.hold_until);
  timers_.emplace(at, key);
}

Commands DeliveryEngine::on_outcome(const Ticket& t, const Outcome& o, Instant now) {
  Commands out;
  auto ps = partners_.find(t.partner_id);
  if (ps == partners_.end()) return out;
  PartnerState& s = ps->second;
  auto it = lanes_.find({t.partner_id, t.challenge_id});
  if (it == lanes_.end() || it->second.id != t.lane_id || it->second.items.empty() ||
      it->second.items.front().job.webhook_id != t.job_id || !it->second.items.front().in_flight) {
    return out;  // the partition was revoked meanwhile: its new owner delivers it
  }
  const LaneKey key = it->first;
  Lane& lane = it->second;
  Item& item = lane.items.front();
  item.in_flight = false;
  s.probing = false;
  if (o.kind == Outcome::Kind::delivered) {
    s.consecutive_failures = 0;
    s.open_until.reset();
    if (item.job.attempt > 1) out.push_back(note(Command::Note::delivered_after_retries, item.job));
    finish_head(key, lane, now, out);
    return out;
  }
  if (s.disabled) {
    dead_letter_head(key, lane, "partner disabled", &o, now, out);
    return out;
  }
  if (o.kind == Outcome::Kind::rejected) {
    // The partner is up and answered: a rejection says nothing about its health.
    dead_letter_head(key, lane, "rejected by the partner", &o, now, out);
    return out;
  }
  if (o.kind == Outcome::Kind::retry && o.hold_channel) {
    // A quota, not a failure: every lane of the partner waits; no attempt is spent.
    // Lanes in flight when the quota ran out answer one after another: a
    // later, shorter hold never ends an earlier, longer one.
    s.hold_until = std::max(s.hold_until.value_or(now), now + o.after.value_or(kDefaultHold));
    --item.job.attempt;
    item.job.last_error = o.reason;
    item.job.next_attempt_at = *s.hold_until;
    out.push_back(note(Command::Note::quota_hold, item.job));
    persist(lane, item, out);
    schedule(key, lane, now);
    return out;
  }
  if (++s.consecutive_failures >= s.policy.breaker.failures_to_open) {
    if (!s.open_until || now >= *s.open_until)
      out.push_back(note(Command::Note::circuit_opened, item.job));
    s.open_until = now + s.policy.breaker.open_for;
  }
  if (o.kind == Outcome::Kind::gone) {
    disable(s, key.first, o, out);
    return out;
  }
  const std::optional<milliseconds> delay =
      next_delay(s.policy.retry, item.job.attempt, o.after, rng_);
  if (!delay) {
    dead_letter_head(
        key, lane,
        "retry schedule exhausted after " + std::to_string(item.job.attempt) + " attempts", &o, now,
        out);
    return out;
  }
  item.job.last_error = o.reason;
  item.job.next_attempt_at = now + *delay;
  out.push_back(note(Command::Note::retry_scheduled, item.job));
  persist(lane, item, out);
  schedule(key, lane, now);
  return out;
}

void DeliveryEngine::disable(PartnerState& s, const std::string& id, const Outcome& o,
                             Commands& out) {
  if (!s.disabled) {
    s.disabled = true;
    Command c;
    c.kind = Command::Kind::disable_partner;
    c.partner_id = id;
    c.status = o.status;
    c.reason = "endpoint answered 410 Gone";
    out.push_back(std::move(c));
  }
  std::vector<LaneKey> keys;
  for (const auto& [key, lane] : lanes_)
    if (key.first == id) keys.push_back(key);
  for (const LaneKey& key : keys) {
    Lane& lane = lanes_.at(key);
    std::deque<Item> keep;
    const bool head_in_flight = !lane.items.empty() && lane.items.front().in_flight;
    while (!lane.items.empty()) {
      Item item = std::move(lane.items.front());
      lane.items.pop_front();
      if (head_in_flight && keep.empty()) {
        keep.push_back(std::move(item));  // its outcome dead-letters it
        continue;
      }
      held_.erase(pending_key(item.job));
      dead_letter(std::move(item), lane.partition, "partner disabled", &o, out);
    }
    lane.items = std::move(keep);
    if (lane.items.empty()) lanes_.erase(key);
  }
}

Commands DeliveryEngine::tick(Instant now) {
  Commands out;
  std::vector<LaneKey> due;
  while (!timers_.empty() && timers_.begin()->first <= now) {
    due.push_back(timers_.begin()->second);
    timers_.erase(timers_.begin());
  }
  for (const LaneKey& key : due) {
    auto it = lanes_.find(key);
    if (it == lanes_.end() || it->second.items.empty() || it->second.items.front().in_flight)
      continue;
    if (partners_.at(key.first).disabled) continue;
    if (stopping_) continue;  // nothing new starts while stopping; it stays pending
    next(key, it->second, now, out);
  }
  return out;
}

Commands DeliveryEngine::restore(std::int32_t partition, std::vector<Job> jobs, Instant now) {
  (void)now;
  Commands out;
  std::stable_sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
    return std::tie(a.created_at, a.seq) < std::tie(b.created_at, b.seq);
  });
  for (Job& job : jobs) {
    auto ps = partners_.find(job.partner_id);
    if (ps == partners_.end()) {
      out.push_back(note(Command::Note::orphan_pending, job));
      continue;
    }
    if (held_.count(pending_key(job))) continue;
    if (ps->second.disabled) {
      dead_letter(Item{std::move(job), std::nullopt, true, false}, partition, "partner disabled",
                  nullptr, out);
      continue;
    }
    const LaneKey key{job.partner_id, job.challenge_id};
    Lane& lane = lanes_[key];
    if (lane.id == 0) lane.id = next_lane_id_++, lane.partition = partition;
    held_.insert(pending_key(job));
    lane.items.push_back(Item{std::move(job), std::nullopt, true, false});
  }
  for (auto& [key, lane] : lanes_) {
    if (lane.partition == partition && !lane.items.empty() && !lane.items.front().in_flight)
      timers_.emplace(lane.items.front().job.next_attempt_at, key);
  }
  return out;
}

void DeliveryEngine::restore_disabled(const std::string& partner_id) {
  if (auto it = partners_.find(partner_id); it != partners_.end()) it->second.disabled = true;
}

void DeliveryEngine::revoke(const std::set<std::int32_t>& partitions) {
  for (auto it = lanes_.begin(); it != lanes_.end();) {
    if (partitions.count(it->second.partition)) {
      for (const Item& item : it->second.items) held_.erase(pending_key(item.job));
      it = lanes_.erase(it);
    } else {
      ++it;
    }
  }
}

Commands DeliveryEngine::enable(const std::string& partner_id) {
  Commands out;
  auto it = partners_.find(partner_id);
  if (it == partners_.end()) return out;
  PartnerState& s = it->second;
  s.disabled = false;
  s.consecutive_failures = 0;
  s.open_until.reset();
  s.probing = false;
  Command c;
  c.kind = Command::Kind::enable_partner;
  c.partner_id = partner_id;
  out.push_back(std::move(c));
  return out;
}

Commands DeliveryEngine::stop_persist() {
  Commands out;
  for (auto& [key, lane] : lanes_) {
    for (Item& item : lane.items) {
      if (item.persisted || !item.origin) continue;
      item.in_flight = false;
      persist(lane, item, out);
    }
  }
  return out;
}

std::size_t DeliveryEngine::in_flight() const {
  std::size_t n = 0;
  for (const auto& [key, lane] : lanes_) n += !lane.items.empty() && lane.items.front().in_flight;
  return n;
}

bool DeliveryEngine::disabled(const std::string& partner_id) const {
  auto it = partners_.find(partner_id);
  return it != partners_.end() && it->second.disabled;
}

bool DeliveryEngine::breaker_open(const std::string& partner_id, Instant now) const {
  (void)now;
  auto it = partners_.find(partner_id);
  // Open or half-open: closed again only by a delivered attempt.
  return it != partners_.end() && it->second.open_until.has_value();
}

std::optional<Instant> DeliveryEngine::next_due() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first;
}

}  // namespace crp::delivery
