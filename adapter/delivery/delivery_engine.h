// The delivery engine: a pure state machine (no I/O, no clock; the time is
// an argument) for deliveries to partners over channels (docs/decisions/0044).
//
// * Lanes: jobs of one (partner, challenge) go strictly in order, one at a time.
// * A job that cannot go at once (behind another, circuit open, retry
//   waiting) is persisted, so the input offset can move on.
// * Circuit breaker per partner: after breaker.failures_to_open consecutive
//   failures it opens for breaker.open_for, then lets one probe through.
// * Retries follow the partner's schedule with jitter (seeded rng); a
//   Retry-After is a floor; a rejected job is dead-lettered at once; when the
//   schedule is exhausted the job is dead-lettered.
// * A partner whose endpoint is gone (410) is disabled: its held jobs and all
//   later ones are dead-lettered until an enable command.
// * A channel-wide hold (Notify's daily or per-minute limit) delays every
//   lane of the partner without counting as an attempt.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "adapter/delivery/command.h"
#include "adapter/delivery/outcome.h"
#include "adapter/delivery/policy.h"

namespace crp::delivery {

struct PartnerPolicy {
  RetryPolicy retry;
  CircuitBreaker breaker;
};

class DeliveryEngine {
 public:
  // `seed`: the jitter's random sequence (fixed in tests, random in service).
  explicit DeliveryEngine(std::map<std::string, PartnerPolicy> partners, std::uint64_t seed);

  // A new job read from the input at `origin`: attempted now, or persisted.
  Commands admit(Job job, const Origin& origin, Instant now);
  // The outcome of the attempt `ticket` named.
  Commands on_outcome(const Ticket& ticket, const Outcome& outcome, Instant now);
  // Starts every lane whose retry (or the partner's circuit) is due.
  Commands tick(Instant now);

  // Pending jobs of `partition`, read back after it was assigned (already durable).
  Commands restore(std::int32_t partition, std::vector<Job> jobs, Instant now);
  // The partner was recorded disabled (read back with the pending jobs).
  void restore_disabled(const std::string& partner_id);
  // Forget every lane of these partitions (their new owner delivers them).
  void revoke(const std::set<std::int32_t>& partitions);
  // An operator's command: the partner may be called again.
  Commands enable(const std::string& partner_id);

  // Nothing new starts; stop_persist() then writes what is not yet durable.
  void begin_stop() { stopping_ = true; }
  Commands stop_persist();

  std::size_t held() const { return held_.size(); }
  std::size_t in_flight() const;
  bool disabled(const std::string& partner_id) const;
  bool breaker_open(const std::string& partner_id, Instant now) const;
  bool knows(const std::string& partner_id) const { return partners_.count(partner_id) > 0; }
  // Earliest instant tick() has work, if any.
  std::optional<Instant> next_due() const;

 private:
  struct Item {
    Job job;
    std::optional<Origin> origin;  // not yet settled; empty once settled or handed to a write
    bool persisted = false;        // a pending record exists (or is being written)
    bool in_flight = false;
  };
  using LaneKey = std::pair<std::string, std::string>;  // partner, challenge
  struct Lane {
    std::uint64_t id = 0;
    std::int32_t partition = 0;
    std::deque<Item> items;  // head: being attempted or waiting for its retry
  };
  struct PartnerState {
    PartnerPolicy policy;
    bool disabled = false;
    int consecutive_failures = 0;
    std::optional<Instant> open_until;  // circuit open until then
    std::optional<Instant> hold_until;  // channel-wide hold (quota) until then
    bool probing = false;               // half-open: one attempt let through
  };

  bool allows(PartnerState& s, Instant now) const;
  void attempt(const LaneKey& key, Lane& lane, Instant now, Commands& out);
  void persist(Lane& lane, Item& item, Commands& out);
  void dead_letter(Item item, std::int32_t partition, const std::string& reason, const Outcome* o,
                   Commands& out);
  void dead_letter_head(const LaneKey& key, Lane& lane, const std::string& reason, const Outcome* o,
                        Instant now, Commands& out);
  void finish_head(const LaneKey& key, Lane& lane, Instant now, Commands& out);
  void next(const LaneKey& key, Lane& lane, Instant now, Commands& out);
  void schedule(const LaneKey& key, Lane& lane, Instant now);
  void disable(PartnerState& s, const std::string& id, const Outcome& o, Commands& out);

  std::map<std::string, PartnerState> partners_;
  std::map<LaneKey, Lane> lanes_;
  std::multimap<Instant, LaneKey> timers_;
  std::set<std::string> held_;  // pending_key() of every job in a lane
  std::uint64_t next_lane_id_ = 1;
  std::mt19937_64 rng_;
  bool stopping_ = false;
};

}  // namespace crp::delivery
