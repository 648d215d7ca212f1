// GOV.UK Notify's answers to POST /v2/notifications/email as delivery
// outcomes (Notify's API documentation, "Error codes"):
//   201           delivered; `id` is Notify's notification id
//   400, 403      rejected: dead-lettered with Notify's own error and message
//                 (BadRequestError, AuthError: retrying cannot help)
//   429 RateLimitError        the per-minute limit: the whole channel (every
//                             lane) waits for Retry-After, or else until the
//                             minute ends; no attempt spent. The limit is the
//                             API key's, so another lane sending at once would
//                             only be refused too.
//   429 TooManyRequestsError  the daily limit: the whole queue is held until
//                             the next midnight UTC, no attempt spent
//   5xx, timeouts, connection and TLS errors: retried
//   any other 4xx: rejected
#pragma once

#include "adapter/calendar/time.h"
#include "adapter/delivery/outcome.h"
#include "connectors/webhooks/attempt.h"

namespace crp::notify {

delivery::Outcome notify_outcome(const webhooks::AttemptResult& r, Instant now);

// The first instant after `now` at which a daily limit has reset (00:00 UTC).
Instant next_daily_reset(Instant now);
// The first instant after `now` at which a per-minute limit has reset (the
// next whole minute).
Instant next_minute(Instant now);

}  // namespace crp::notify
