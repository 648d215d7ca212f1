// Per-partner delivery policy: the retry schedule (with jitter) and the
// circuit breaker, and the delay before the next attempt.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <vector>

namespace crp::delivery {

// Standard Webhooks' example schedule: attempt 1 immediately, then retries
// after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h.
std::vector<std::chrono::milliseconds> standard_retry_schedule();

struct RetryPolicy {
  // Delay before attempt n+1 after attempt n failed; size() == retries allowed.
  // The first attempt is immediate, so the default holds the nine delays of
  // standard_retry_schedule() (10 attempts in all, about 3 days).
  std::vector<std::chrono::milliseconds> schedule = standard_retry_schedule();
  double jitter = 0.2;  // +/- fraction of each delay
};

struct CircuitBreaker {
  int failures_to_open = 5;                    // consecutive failed attempts
  std::chrono::milliseconds open_for{30'000};  // then one probe is let through
};

// A partner cannot push its next attempt beyond a day with Retry-After.
inline constexpr std::chrono::seconds kMaxRetryAfter{24 * 3600};

// Delay before the next attempt, or nullopt when the schedule is exhausted.
// `attempts_made` >= 1. `floor` (the partner's Retry-After, capped at a day)
// is a lower bound.
std::optional<std::chrono::milliseconds> next_delay(const RetryPolicy& policy, int attempts_made,
                                                    std::optional<std::chrono::milliseconds> floor,
                                                    std::mt19937_64& rng);

}  // namespace crp::delivery
