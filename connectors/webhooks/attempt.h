// What one HTTP attempt came to, and what to do next (Standard Webhooks and
// Svix practice): 2xx delivered; 5xx, 408, 429, timeouts and connection or
// TLS errors retried; Retry-After honoured on 429/502/503/504; a redirect
// is never followed and counts as a failure; 410 disables the partner; any
// other 4xx goes to the DLQ without retrying.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>

#include "adapter/delivery/outcome.h"
#include "connectors/webhooks/partner.h"

namespace crp::webhooks {

struct AttemptResult {
  int status = 0;               // 0: no HTTP response (see transport_error)
  std::string transport_error;  // "timeout", "connection reset", "certificate verify failed", ...
  std::string body_excerpt;     // at most 256 bytes of the response body
  std::string body;  // the whole response body (at most 1 MiB), for channels that read it
  std::optional<std::chrono::seconds> retry_after;
  std::chrono::microseconds latency{0};
};

enum class Verdict { delivered, retry, dead_letter, partner_gone };

Verdict classify(const AttemptResult& r);

// A short reason for logs and Delivery::last_error: "HTTP 503" or the
// transport error; never the response body (it may echo personal data).
std::string describe(const AttemptResult& r);

// Delay before the next attempt, or nullopt when the schedule is exhausted.
// `attempts_made` >= 1. Retry-After, when present, is a floor.
std::optional<std::chrono::milliseconds> next_delay(const RetryPolicy& policy, int attempts_made,
                                                    const AttemptResult& r, std::mt19937_64& rng);

// The channel's answer for the delivery engine: classify() as an Outcome,
// with Retry-After (429/502/503/504) as the retry's floor and the response
// excerpt as the dead letter's detail.
delivery::Outcome to_outcome(const AttemptResult& r);

}  // namespace crp::webhooks
