// GOV.UK Notify around the request (docs/decisions/0049): an email record as
// a job, the JWT made fresh when a request leaves, the receipt parser, and
// the records written about deliveries (no address, no personalisation).
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <boost/asio/io_context.hpp>

#include "connectors/notify/notify_channel.h"
#include "connectors/notify/notify_records.h"

namespace crp::notify {
namespace {

const Instant kNow = *parse_iso8601("2027-02-01T10:00:00Z");
const std::string kEmail =
    R"({"template_id":"t-1","email_address":"sw@authority.example",)"
    R"("personalisation":{"case_reference":"LCS-1"},"reference":"ROT:2027:7:practitioner"})";

rapidjson::Document parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  EXPECT_FALSE(d.HasParseError()) << s;
  return d;
}

TEST(NotifyEmailJob, TheReferenceIsTheIdTheKeyTheLaneTheSequenceTheOrder) {
  std::string problem;
  auto job = email_job("ROT:2027", kEmail, kNow, problem);
  ASSERT_TRUE(job) << problem;
  EXPECT_EQ(job->partner_id, "notify");
  EXPECT_EQ(job->webhook_id, "ROT:2027:7:practitioner");
  EXPECT_EQ(job->challenge_id, "ROT:2027");  // a challenge id may hold ':'
  EXPECT_EQ(job->seq, 7u);
  EXPECT_EQ(job->body, kEmail);  // sent as written: it is Notify's request body
  EXPECT_EQ(job->created_at, kNow);
  // Without a key the reference is its own lane.
  EXPECT_EQ(email_job("", kEmail, kNow, problem)->challenge_id, "ROT:2027:7:practitioner");
}

TEST(NotifyEmailJob, RefusesRecordsNotifyCouldNotSendNamingTheMember) {
  std::string problem;
  EXPECT_FALSE(email_job("k", "not json", kNow, problem));
  EXPECT_NE(problem.find("not JSON"), std::string::npos);
  EXPECT_FALSE(email_job("k", R"({"template_id":"t","reference":"r"})", kNow, problem));
  EXPECT_NE(problem.find("email_address"), std::string::npos);
  EXPECT_FALSE(email_job("k", "[]", kNow, problem));
}

TEST(NotifyReceipt, ParsesNotifysCallbackAndRefusesOthers) {
  std::string problem;
  auto r = parse_receipt(
      R"({"id":"740e5834-3a29-46b4-9a6f-16142fde533a","reference":"ROT:1:practitioner",)"
      R"("to":"sw@authority.example","status":"permanent-failure","notification_type":"email"})",
      problem);
  ASSERT_TRUE(r) << problem;
  EXPECT_EQ(r->id, "740e5834-3a29-46b4-9a6f-16142fde533a");
  EXPECT_EQ(r->reference, "ROT:1:practitioner");
  EXPECT_EQ(r->status, "permanent-failure");
  EXPECT_FALSE(parse_receipt(R"({"reference":"x","status":"delivered"})", problem));
  EXPECT_FALSE(parse_receipt("{", problem));
  EXPECT_FALSE(
      parse_receipt(R"({"id":")" + std::string(100, 'a') + R"(","status":"delivered"})", problem));
}

TEST(NotifyRecords, SentAndFailedEventsCarryReferenceStatusAndIdOnly) {
  const auto sent = parse(sent_event("urn:test", "ROT:1:practitioner", "n-1", kNow));
  EXPECT_STREQ(sent["type"].GetString(), "uk.gov.crp.notification.sent");
  EXPECT_STREQ(sent["data"]["reference"].GetString(), "ROT:1:practitioner");
  EXPECT_STREQ(sent["data"]["notification_id"].GetString(), "n-1");
  EXPECT_EQ(sent["data"].MemberCount(), 2u);

  const Receipt r{"n-1", "ROT:1:practitioner", "permanent-failure"};
  const std::string failed = failed_event("urn:test", r, kNow);
  const auto f = parse(failed);
  EXPECT_STREQ(f["type"].GetString(), "uk.gov.crp.notification.failed");
  EXPECT_STREQ(f["data"]["status"].GetString(), "permanent-failure");
  EXPECT_EQ(f["data"].MemberCount(), 3u);
  EXPECT_EQ(failed.find('@'), std::string::npos);
}

TEST(NotifyRecords, TheFallbackEmailGoesToTheMailboxAndNeverFallsBackAgain) {
  const Receipt r{"n-1", "ROT:2027:3:line_manager", "permanent-failure"};
  const auto e = parse(fallback_email(r, "tpl-failed", "team@authority.example"));
  EXPECT_STREQ(e["template_id"].GetString(), "tpl-failed");
  EXPECT_STREQ(e["email_address"].GetString(), "team@authority.example");
  EXPECT_STREQ(e["reference"].GetString(), "ROT:2027:3:line_manager:fallback");
  EXPECT_STREQ(e["personalisation"]["failed_reference"].GetString(), "ROT:2027:3:line_manager");
  EXPECT_STREQ(e["personalisation"]["recipient_role"].GetString(), "line_manager");
  EXPECT_TRUE(is_fallback(e["reference"].GetString()));
  EXPECT_FALSE(is_fallback(r.reference));
  EXPECT_EQ(reference_challenge(r.reference), "ROT:2027");
  EXPECT_EQ(reference_challenge("odd"), "odd");
}

TEST(NotifyChannelToken, FreshEachSecondAndSameWithinOne) {
  NotifySettings s;
  std::string error;
  s.endpoint = *webhooks::parse_endpoint("https://localhost:1/v2/notifications/email", error);
  boost::asio::io_context io;
  const ApiKey key{"26785a09-ab16-4eb0-8407-a37497a57506", "3d844edf-8d35-48ac-975b-e847b4f122b0"};
  NotifyChannel channel(io, s, key);
  const std::string first = channel.token(1700000000);
  EXPECT_EQ(first, jwt(key, 1700000000));
  EXPECT_EQ(channel.token(1700000000), first);
  EXPECT_EQ(channel.token(1700000001), jwt(key, 1700000001));
}

TEST(NotifyPartner, TheRateLimitPerMinuteIsTheClientsTokenBucket) {
  NotifySettings s;
  s.rate_limit_per_minute = 3000;
  s.ca_file = "/tmp/ca.pem";
  const webhooks::Partner p = notify_partner(s);
  EXPECT_DOUBLE_EQ(p.rate_limit_per_s, 50.0);
  EXPECT_EQ(p.id, "notify");
  EXPECT_EQ(p.url, "https://api.notifications.service.gov.uk/v2/notifications/email");
  EXPECT_EQ(p.ca_file, "/tmp/ca.pem");
}

}  // namespace
}  // namespace crp::notify
