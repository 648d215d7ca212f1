// What one attempt on a channel came to. Every channel (signed webhooks,
// GOV.UK Notify) maps its protocol's answers onto these four, so the
// delivery engine decides retries, the breaker and dead letters alike for all.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace crp::delivery {

struct Outcome {
  enum class Kind {
    delivered,  // accepted by the partner
    retry,      // try again later (timeout, 5xx, 429, ...): counts toward the breaker
    rejected,   // the partner refused this one (4xx): dead-lettered, the partner is healthy
    gone,       // the partner endpoint is gone for good (410): the partner is disabled
  };
  Kind kind = Kind::retry;
  // retry: not before this long (Retry-After; a floor over the schedule).
  std::optional<std::chrono::milliseconds> after;
  // retry: the whole channel waits `after` (a daily quota); the attempt does
  // not count toward the schedule nor the breaker.
  bool hold_channel = false;
  int status = 0;         // HTTP status, 0 when there was no response
  std::string reason;     // short, never a body: "HTTP 503", "timeout"
  std::string detail;     // for the dead letter: the partner's own message (printable excerpt)
  std::string reference;  // delivered: the partner's id for it (Notify's notification id)
  std::chrono::microseconds latency{0};

  static Outcome delivered() {
    Outcome o;
    o.kind = Kind::delivered;
    return o;
  }
};

}  // namespace crp::delivery
