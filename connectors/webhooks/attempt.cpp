#include "connectors/webhooks/attempt.h"

#include <algorithm>
#include <cmath>

namespace crp::webhooks {
namespace {

// A partner cannot push its next attempt beyond a day with Retry-After.
constexpr std::chrono::seconds kMaxRetryAfter{24 * 3600};

bool honours_retry_after(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

// Uniform in [0, 1) from the top 53 bits: the same on every standard library,
// unlike std::uniform_real_distribution, so a seeded rng gives the same delays.
double unit_interval(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

}  // namespace

Verdict classify(const AttemptResult& r) {
  if (r.status == 0) return Verdict::retry;  // timeout, reset, refused, TLS
  if (r.status >= 200 && r.status < 300) return Verdict::delivered;
  if (r.status == 410) return Verdict::partner_gone;
  if (r.status == 408 || r.status == 429) return Verdict::retry;
  if (r.status >= 400 && r.status < 500) return Verdict::dead_letter;
  return Verdict::retry;  // 5xx; 3xx (never followed) and 1xx count as failed attempts
}

std::string describe(const AttemptResult& r) {
  if (r.status != 0) return "HTTP " + std::to_string(r.status);
  return r.transport_error.empty() ? "no response" : r.transport_error;
}

std::optional<std::chrono::milliseconds> next_delay(const RetryPolicy& policy, int attempts_made,
                                                    const AttemptResult& r, std::mt19937_64& rng) {
  using std::chrono::milliseconds;
  if (attempts_made < 1 || static_cast<std::size_t>(attempts_made) > policy.schedule.size())
    return std::nullopt;
  const milliseconds base = policy.schedule[static_cast<std::size_t>(attempts_made) - 1];
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  const double factor = 1.0 + jitter * (2.0 * unit_interval(rng) - 1.0);
  milliseconds delay(
      static_cast<milliseconds::rep>(std::llround(static_cast<double>(base.count()) * factor)));
  if (r.retry_after && honours_retry_after(r.status)) {
    delay = std::max(delay, milliseconds(std::min(*r.retry_after, kMaxRetryAfter)));
  }
  return std::max(delay, milliseconds(0));
}

}  // namespace crp::webhooks
