#include <gtest/gtest.h>

#include "connectors/webhooks/attempt.h"
#include "connectors/webhooks/retry_after.h"

namespace crp::webhooks {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

AttemptResult status(int s) {
  AttemptResult r;
  r.status = s;
  return r;
}

TEST(WebhooksAttempt, ClassifiesResponsesLikeStandardWebhooks) {
  EXPECT_EQ(classify(status(200)), Verdict::delivered);
  EXPECT_EQ(classify(status(204)), Verdict::delivered);
  EXPECT_EQ(classify(status(500)), Verdict::retry);
  EXPECT_EQ(classify(status(503)), Verdict::retry);
  EXPECT_EQ(classify(status(408)), Verdict::retry);
  EXPECT_EQ(classify(status(429)), Verdict::retry);
  EXPECT_EQ(classify(status(301)), Verdict::retry);  // redirects are failures, never followed
  EXPECT_EQ(classify(status(410)), Verdict::partner_gone);
  EXPECT_EQ(classify(status(400)), Verdict::dead_letter);
  EXPECT_EQ(classify(status(401)), Verdict::dead_letter);
  EXPECT_EQ(classify(status(404)), Verdict::dead_letter);
  AttemptResult timeout;
  timeout.transport_error = "timeout";
  EXPECT_EQ(classify(timeout), Verdict::retry);
  EXPECT_EQ(describe(timeout), "timeout");
  EXPECT_EQ(describe(status(503)), "HTTP 503");
}

TEST(WebhooksAttempt, TheDefaultScheduleIsStandardWebhooks) {
  RetryPolicy policy;
  policy.jitter = 0;
  std::mt19937_64 rng(1);
  std::vector<milliseconds> delays;
  for (int made = 1; auto d = next_delay(policy, made, status(500), rng); ++made)
    delays.push_back(*d);
  const std::vector<milliseconds> expected{5s, 5min, 30min, 2h, 5h, 10h, 14h, 20h, 24h};
  EXPECT_EQ(delays, expected);
}

TEST(WebhooksAttempt, JitterStaysWithinBoundsAndIsDeterministicForASeed) {
  RetryPolicy policy;
  policy.schedule = {10'000ms};
  policy.jitter = 0.2;
  std::mt19937_64 a(42), b(42);
  std::set<long> seen;
  for (int i = 0; i < 200; ++i) {
    auto d = next_delay(policy, 1, status(500), a);
    ASSERT_TRUE(d);
    EXPECT_GE(*d, 8'000ms);
    EXPECT_LE(*d, 12'000ms);
    EXPECT_EQ(*d, *next_delay(policy, 1, status(500), b));
    seen.insert(static_cast<long>(d->count()));
  }
  EXPECT_GT(seen.size(), 100u);  // it does vary
}

TEST(WebhooksAttempt, RetryAfterIsAFloorOnTheCodesThatCarryIt) {
  RetryPolicy policy;
  policy.schedule = {1'000ms, 1'000ms};
  policy.jitter = 0;
  std::mt19937_64 rng(1);
  AttemptResult busy = status(503);
  busy.retry_after = 60s;
  EXPECT_EQ(next_delay(policy, 1, busy, rng), milliseconds(60s));
  busy.status = 429;
  EXPECT_EQ(next_delay(policy, 1, busy, rng), milliseconds(60s));
  busy.retry_after = 0s;  // a floor, not a replacement
  EXPECT_EQ(next_delay(policy, 1, busy, rng), 1'000ms);
  AttemptResult error = status(500);
  error.retry_after = 60s;  // not honoured on a plain 500
  EXPECT_EQ(next_delay(policy, 1, error, rng), 1'000ms);
  busy.retry_after = std::chrono::seconds(365 * 24 * 3600);
  EXPECT_EQ(next_delay(policy, 1, busy, rng), milliseconds(24h));  // capped at a day
}

TEST(WebhooksAttempt, AnExhaustedScheduleEndsRetries) {
  RetryPolicy policy;
  policy.schedule = {0ms, 100ms};
  std::mt19937_64 rng(1);
  EXPECT_TRUE(next_delay(policy, 1, status(500), rng));
  EXPECT_TRUE(next_delay(policy, 2, status(500), rng));
  EXPECT_FALSE(next_delay(policy, 3, status(500), rng));
  policy.schedule.clear();
  EXPECT_FALSE(next_delay(policy, 1, status(500), rng));
}

TEST(WebhooksAttempt, RetryAfterParsesSecondsAndHttpDates) {
  const auto now = std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 12h;  // a Monday
  EXPECT_EQ(parse_retry_after("120", now), 120s);
  EXPECT_EQ(parse_retry_after(" 7 ", now), 7s);
  EXPECT_EQ(parse_retry_after("Mon, 23 Nov 2026 12:05:00 GMT", now), 300s);
  EXPECT_EQ(parse_retry_after("Mon, 23 Nov 2026 11:00:00 GMT", now), 0s);
  EXPECT_FALSE(parse_retry_after("soon", now));
  EXPECT_FALSE(parse_retry_after("-5", now));
  EXPECT_FALSE(parse_retry_after("", now));
}

}  // namespace
}  // namespace crp::webhooks
