// Helpers for the delivery engine's tests: jobs, outcomes, and picking
// commands of one kind out of an engine step.
#pragma once

#include <string>
#include <vector>

#include "adapter/calendar/time.h"
#include "adapter/delivery/delivery_engine.h"

namespace crp::delivery::testing {

using namespace std::chrono_literals;
using Kind = Command::Kind;

inline Instant t0() {
  return *parse_iso8601("2027-03-01T09:00:00Z");
}

inline PartnerPolicy fast_policy(int failures_to_open = 3) {
  PartnerPolicy p;
  p.retry.schedule = {100ms, 200ms, 400ms};
  p.retry.jitter = 0.2;
  p.breaker.failures_to_open = failures_to_open;
  p.breaker.open_for = 1000ms;
  return p;
}

inline Job job(const std::string& partner, const std::string& challenge, std::uint64_t seq) {
  Job j;
  j.partner_id = partner;
  j.challenge_id = challenge;
  j.seq = seq;
  j.webhook_id = "msg_" + challenge + "_" + std::to_string(seq) + "_" + partner;
  j.body = "{\"seq\":" + std::to_string(seq) + "}";
  j.created_at = t0();
  return j;
}

inline Outcome outcome(Outcome::Kind kind, int status = 0, std::string detail = {}) {
  Outcome o;
  o.kind = kind;
  o.status = status;
  o.reason = status ? "HTTP " + std::to_string(status) : "timeout";
  o.detail = std::move(detail);
  return o;
}

inline std::vector<Command> of(const Commands& cs, Kind kind) {
  std::vector<Command> out;
  for (const Command& c : cs)
    if (c.kind == kind) out.push_back(c);
  return out;
}

inline Origin origin(std::int64_t offset, std::int32_t partition = 0) {
  return Origin{partition, offset, 1};
}

}  // namespace crp::delivery::testing
