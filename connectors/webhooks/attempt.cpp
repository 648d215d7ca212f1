#include "connectors/webhooks/attempt.h"

#include <algorithm>
#include <cmath>

namespace crp::webhooks {
namespace {

bool honours_retry_after(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

std::optional<std::chrono::milliseconds> retry_floor(const AttemptResult& r) {
  if (r.retry_after && honours_retry_after(r.status))
    return std::chrono::duration_cast<std::chrono::milliseconds>(*r.retry_after);
  return std::nullopt;
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
  return delivery::next_delay(policy, attempts_made, retry_floor(r), rng);
}

delivery::Outcome to_outcome(const AttemptResult& r) {
  delivery::Outcome o;
  switch (classify(r)) {
    case Verdict::delivered:
      o.kind = delivery::Outcome::Kind::delivered;
      break;
    case Verdict::retry:
      o.kind = delivery::Outcome::Kind::retry;
      break;
    case Verdict::dead_letter:
      o.kind = delivery::Outcome::Kind::rejected;
      break;
    case Verdict::partner_gone:
      o.kind = delivery::Outcome::Kind::gone;
      break;
  }
  o.after = retry_floor(r);
  o.status = r.status;
  o.reason = describe(r);
  o.detail = r.body_excerpt;
  o.latency = r.latency;
  return o;
}

}  // namespace crp::webhooks
