// GOV.UK Notify: the API key's parts, the JWT (a vector computed
// independently with Python's hmac and base64), and Notify's documented
// answers as delivery outcomes.
#include <gtest/gtest.h>

#include "adapter/delivery/delivery_engine.h"
#include "connectors/notify/notify_jwt.h"
#include "connectors/notify/notify_response.h"
#include "connectors/notify/notify_settings.h"

namespace crp::notify {
namespace {

using Kind = delivery::Outcome::Kind;
constexpr const char* kKey =
    "my_test_key-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0";

TEST(NotifyApiKey, ServiceIdAndSecretAreTheLastTwoUuids) {
  std::string error;
  auto key = parse_api_key(kKey, error);
  ASSERT_TRUE(key) << error;
  EXPECT_EQ(key->service_id, "26785a09-ab16-4eb0-8407-a37497a57506");
  EXPECT_EQ(key->secret, "3d844edf-8d35-48ac-975b-e847b4f122b0");
  // A key name with dashes of its own is fine.
  EXPECT_TRUE(parse_api_key(std::string("crp-live-") + kKey, error));
}

TEST(NotifyApiKey, RefusesWhatIsNotAKeyWithoutQuotingIt) {
  std::string error;
  EXPECT_FALSE(parse_api_key("26785a09-ab16-4eb0-8407-a37497a57506", error));
  std::string bad = kKey;
  bad[bad.size() - 5] = 'x';  // not hexadecimal
  EXPECT_FALSE(parse_api_key(bad, error));
  EXPECT_EQ(error.find("3d844edf"), std::string::npos);
}

TEST(NotifyJwt, MatchesAnIndependentHs256Computation) {
  std::string error;
  const ApiKey key = *parse_api_key(kKey, error);
  EXPECT_EQ(jwt(key, 1700000000),
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9."
            "eyJpc3MiOiIyNjc4NWEwOS1hYjE2LTRlYjAtODQwNy1hMzc0OTdhNTc1MDYiLCJpYXQiOjE3MDAwMDAwMDB9."
            "q1v0ZBAPOtT5-Ng39fZDm8ojJu-wrEQD-OrsVHHKnIM");
}

TEST(NotifyJwt, Base64UrlHasNoPaddingAndUrlAlphabet) {
  EXPECT_EQ(base64url("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url("a"), "YQ");
}

webhooks::AttemptResult answer(int status, std::string body) {
  webhooks::AttemptResult r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

const Instant kNow = *parse_iso8601("2027-03-01T21:30:00Z");

TEST(NotifyResponse, CreatedKeepsNotifysNotificationId) {
  auto o = notify_outcome(
      answer(201, R"({"id":"740e5834-3a29-46b4-9a6f-16142fde533a","reference":"r"})"), kNow);
  EXPECT_EQ(o.kind, Kind::delivered);
  EXPECT_EQ(o.reference, "740e5834-3a29-46b4-9a6f-16142fde533a");
}

TEST(NotifyResponse, BadRequestAndAuthErrorAreDeadLetteredWithNotifysMessage) {
  auto o = notify_outcome(
      answer(
          400,
          R"({"status_code":400,"errors":[{"error":"BadRequestError","message":"Can't send to this recipient using a team-only API key"}]})"),
      kNow);
  EXPECT_EQ(o.kind, Kind::rejected);
  EXPECT_EQ(o.detail, "BadRequestError: Can't send to this recipient using a team-only API key");
  o = notify_outcome(
      answer(
          403,
          R"({"status_code":403,"errors":[{"error":"AuthError","message":"Invalid token: API key not found"}]})"),
      kNow);
  EXPECT_EQ(o.kind, Kind::rejected);
  EXPECT_EQ(o.detail, "AuthError: Invalid token: API key not found");
}

constexpr const char* kPerMinute =
    R"({"status_code":429,"errors":[{"error":"RateLimitError","message":"Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"}]})";

TEST(NotifyResponse, PerMinuteLimitHoldsTheChannelUntilTheMinuteEnds) {
  auto o = notify_outcome(answer(429, kPerMinute), kNow);
  EXPECT_EQ(o.kind, Kind::retry);
  EXPECT_TRUE(o.hold_channel);  // the limit is the key's: every lane waits
  EXPECT_EQ(kNow + *o.after, next_minute(kNow));
  // Retry-After, when Notify gives one, is the hold.
  webhooks::AttemptResult limited = answer(429, kPerMinute);
  limited.retry_after = std::chrono::seconds(7);
  o = notify_outcome(limited, kNow);
  EXPECT_TRUE(o.hold_channel);
  EXPECT_EQ(*o.after, std::chrono::seconds(7));
}

// The per-minute 429 through the pure delivery engine: the lane that got it
// and every other lane of the channel wait for the minute's end, no attempt
// is spent, and all go again when it ends.
TEST(NotifyResponse, PerMinuteLimitHoldsEveryLaneInTheDeliveryEngine) {
  using delivery::Command;
  const Instant t = *parse_iso8601("2027-03-01T09:00:20Z");
  delivery::DeliveryEngine engine({{kChannelId, delivery::PartnerPolicy{}}}, 1);
  auto job = [&](const std::string& challenge) {
    delivery::Job j;
    j.partner_id = kChannelId;
    j.challenge_id = challenge;
    j.seq = 1;
    j.webhook_id = challenge + ":1:cpcc";
    j.created_at = j.next_attempt_at = t;
    return j;
  };
  auto attempts = [](const delivery::Commands& cs) {
    std::vector<Command> out;
    for (const Command& c : cs)
      if (c.kind == Command::Kind::attempt) out.push_back(c);
    return out;
  };
  const auto first = attempts(engine.admit(job("C1"), delivery::Origin{0, 1, 1}, t));
  const auto second = attempts(engine.admit(job("C2"), delivery::Origin{0, 2, 1}, t));
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  // C1 hears 429 first; C2, already in flight, hears it too.
  for (const Command& a : {first[0], second[0]}) {
    const delivery::Commands c =
        engine.on_outcome(a.ticket, notify_outcome(answer(429, kPerMinute), t), t);
    for (const Command& p : c) {
      if (p.kind == Command::Kind::persist) {
        EXPECT_EQ(p.job.attempt, 0);  // not spent
      }
    }
  }
  const auto c3 = attempts(engine.admit(job("C3"), delivery::Origin{0, 3, 1}, t));
  EXPECT_TRUE(c3.empty());  // a new lane waits too
  EXPECT_TRUE(attempts(engine.tick(next_minute(t) - std::chrono::milliseconds(1))).empty());
  EXPECT_EQ(attempts(engine.tick(next_minute(t))).size(), 3u);
}

TEST(NotifyResponse, ServerErrorsAreRetried) {
  EXPECT_EQ(
      notify_outcome(
          answer(
              500,
              R"({"status_code":500,"errors":[{"error":"Exception","message":"Internal server error"}]})"),
          kNow)
          .kind,
      Kind::retry);
  webhooks::AttemptResult timeout;
  timeout.transport_error = "timeout";
  EXPECT_EQ(notify_outcome(timeout, kNow).kind, Kind::retry);
}

TEST(NotifyResponse, DailyLimitHoldsTheQueueUntilMidnightUtc) {
  auto o = notify_outcome(
      answer(
          429,
          R"({"status_code":429,"errors":[{"error":"TooManyRequestsError","message":"Exceeded send limits (250000) for today"}]})"),
      kNow);
  EXPECT_EQ(o.kind, Kind::retry);
  EXPECT_TRUE(o.hold_channel);
  EXPECT_EQ(kNow + *o.after, *parse_iso8601("2027-03-02T00:00:00Z"));
}

}  // namespace
}  // namespace crp::notify
