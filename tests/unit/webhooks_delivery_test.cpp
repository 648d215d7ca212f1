#include <gtest/gtest.h>

#include <stdexcept>

#include "connectors/webhooks/delivery.h"

namespace crp::webhooks {
namespace {

// What adapter/runtime/output_router.cpp writes for a PartnerDecision, plus
// members the partner must never see unless it allows them.
const std::string kOutbox =
    R"j({"route":"rscp_business_unit","delivery_id":"ROT-2026-0117:7","type":"challenge.stage_started",)j"
    R"j("challenge_id":"ROT-2026-0117","case_id":"LCS-5512873","protocol":"rotherham","agency":"health",)j"
    R"j("stage":"stage3","stage_label":"Stage 3 (Head of Service)","due_at":"2027-01-12T17:00:00Z",)j"
    R"j("occurred_at":"2027-01-06T09:00:00Z","contacts":{"child_name":"Jane Doe","concern":"free text"},)j"
    R"j("categories":["core_groups_not_held"]})j";

// Subscription sets by name; the rest stay empty (match everything).
Subscription sub(std::set<std::string> routes, std::set<std::string> event_types = {},
                 std::set<std::string> protocols = {}, std::set<std::string> stages = {},
                 std::set<std::string> agencies = {}) {
  Subscription s;
  s.routes = std::move(routes);
  s.event_types = std::move(event_types);
  s.protocols = std::move(protocols);
  s.stages = std::move(stages);
  s.agencies = std::move(agencies);
  return s;
}
Subscription agencies(std::set<std::string> a) {
  return sub({}, {}, {}, {}, std::move(a));
}

Partner partner(const std::string& id, Subscription s, std::set<std::string> fields) {
  Partner p;
  p.id = id;
  p.subscription = std::move(s);
  p.allowed_fields = std::move(fields);
  return p;
}

TEST(WebhooksFanOut, TheBodyIsACloudEventReducedToTheAllowlist) {
  PartnerRegistry r;
  r.partners.push_back(
      partner("rscp-business-unit", sub({"rscp_business_unit"}),
              {"challenge_id", "case_id", "stage", "stage_label", "due_at", "categories"}));
  auto out = fan_out(kOutbox, r, "urn:crp:test");
  ASSERT_EQ(out.size(), 1u);
  const Delivery& d = out[0];
  EXPECT_EQ(d.partner_id, "rscp-business-unit");
  EXPECT_EQ(d.webhook_id, "msg_ROT-2026-0117_7_rscp-business-unit");
  EXPECT_EQ(d.challenge_id, "ROT-2026-0117");
  EXPECT_EQ(d.seq, 7u);
  EXPECT_EQ(d.attempt, 0);
  EXPECT_EQ(format_iso8601(d.created_at), "2027-01-06T09:00:00Z");
  EXPECT_EQ(
      d.body,
      R"j({"specversion":"1.0","id":"msg_ROT-2026-0117_7_rscp-business-unit","source":"urn:crp:test",)j"
      R"j("type":"uk.gov.crp.challenge.stage_started","subject":"ROT-2026-0117","time":"2027-01-06T09:00:00Z",)j"
      R"j("datacontenttype":"application/json","data":{"challenge_id":"ROT-2026-0117","case_id":"LCS-5512873",)j"
      R"j("stage":"stage3","stage_label":"Stage 3 (Head of Service)","due_at":"2027-01-12T17:00:00Z",)j"
      R"j("categories":["core_groups_not_held"]}})j");
  EXPECT_EQ(d.body.find("Jane"), std::string::npos);
  EXPECT_EQ(d.body.find("contacts"), std::string::npos);
  EXPECT_EQ(d.body.find("free text"), std::string::npos);
}

TEST(WebhooksFanOut, AnEmptyAllowlistSendsNoData) {
  PartnerRegistry r;
  r.partners.push_back(partner("p", {}, {}));
  auto out = fan_out(kOutbox, r, "s");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].body.find(R"j("data":{}})j"), std::string::npos);
  EXPECT_EQ(out[0].body.find("LCS-5512873"), std::string::npos);
}

TEST(WebhooksFanOut, OnlySubscribedPartnersReceiveInRegistryOrder) {
  PartnerRegistry r;
  r.partners.push_back(partner("police", agencies({"police"}), {}));
  r.partners.push_back(partner("health", agencies({"health"}), {}));
  r.partners.push_back(partner("bscp", sub({"bscp"}), {}));
  r.partners.push_back(partner("everything", {}, {}));
  r.partners.push_back(partner(
      "rotherham-stage3",
      sub({"rscp_business_unit"}, {"challenge.stage_started"}, {"rotherham"}, {"stage3"}), {}));
  r.partners.push_back(partner("rotherham-stage4", sub({}, {}, {"rotherham"}, {"stage4"}), {}));
  auto out = fan_out(kOutbox, r, "s");
  std::vector<std::string> ids;
  for (const auto& d : out) ids.push_back(d.partner_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"health", "everything", "rotherham-stage3"}));
}

TEST(WebhooksFanOut, AMissingSelectorMatchesOnlyPartnersThatDoNotSelectOnIt) {
  PartnerRegistry r;
  r.partners.push_back(partner("by-agency", agencies({"health"}), {}));
  r.partners.push_back(partner("by-route", sub({"bscp"}), {}));
  const std::string no_agency =
      R"j({"route":"bscp","delivery_id":"B-1:2","type":"challenge.stage_started","challenge_id":"B-1"})j";
  auto out = fan_out(no_agency, r, "s");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].partner_id, "by-route");
}

TEST(WebhooksFanOut, OutputIsDeterministic) {
  PartnerRegistry r;
  r.partners.push_back(partner("p", {}, {"stage", "challenge_id"}));
  EXPECT_EQ(fan_out(kOutbox, r, "s")[0].body, fan_out(kOutbox, r, "s")[0].body);
}

TEST(WebhooksFanOut, WebhookIdsAreHeaderSafeAndUnambiguous) {
  PartnerRegistry r;
  r.partners.push_back(partner("p", {}, {}));
  const std::string odd =
      R"j({"route":"x","delivery_id":"A_1:2 b:3","type":"t","challenge_id":"A_1:2 b"})j";
  auto out = fan_out(odd, r, "s");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].webhook_id, "msg_A%5F1%3A2%20b_3_p");
  EXPECT_EQ(out[0].seq, 3u);
  EXPECT_EQ(out[0].challenge_id, "A_1:2 b");
}

TEST(WebhooksFanOut, MalformedOutboxRecordsAreRejected) {
  PartnerRegistry r;
  r.partners.push_back(partner("p", {}, {}));
  EXPECT_THROW(fan_out("not json", r, "s"), std::invalid_argument);
  EXPECT_THROW(fan_out("[]", r, "s"), std::invalid_argument);
  EXPECT_THROW(fan_out(R"j({"route":"x","type":"t","challenge_id":"C"})j", r, "s"),
               std::invalid_argument);
  EXPECT_THROW(
      fan_out(R"j({"route":"x","delivery_id":"C:x","type":"t","challenge_id":"C"})j", r, "s"),
      std::invalid_argument);
  EXPECT_THROW(
      fan_out(R"j({"route":"x","delivery_id":"D:1","type":"t","challenge_id":"C"})j", r, "s"),
      std::invalid_argument);
  EXPECT_THROW(
      fan_out(
          R"j({"route":"x","delivery_id":"C:1","type":"t","challenge_id":"C","occurred_at":"yesterday"})j",
          r, "s"),
      std::invalid_argument);
}

TEST(WebhooksDelivery, EncodeDecodeRoundTrips) {
  PartnerRegistry r;
  r.partners.push_back(partner("p", {}, {"stage"}));
  Delivery d = fan_out(kOutbox, r, "s")[0];
  d.attempt = 3;
  d.next_attempt_at = d.created_at + std::chrono::minutes(5);
  d.last_error = "HTTP 503";
  auto back = decode(encode(d));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->partner_id, d.partner_id);
  EXPECT_EQ(back->webhook_id, d.webhook_id);
  EXPECT_EQ(back->challenge_id, d.challenge_id);
  EXPECT_EQ(back->seq, d.seq);
  EXPECT_EQ(back->body, d.body);
  EXPECT_EQ(back->attempt, 3);
  EXPECT_EQ(back->created_at, d.created_at);
  EXPECT_EQ(back->next_attempt_at, d.next_attempt_at);
  EXPECT_EQ(back->last_error, "HTTP 503");
  EXPECT_EQ(encode(*back), encode(d));
}

TEST(WebhooksDelivery, DecodeRefusesWhatIsNotADelivery) {
  EXPECT_FALSE(decode("nope"));
  EXPECT_FALSE(decode("{}"));
  EXPECT_FALSE(decode(
      R"j({"partner_id":"p","webhook_id":"w","challenge_id":"c","seq":-1,"attempt":0,)j"
      R"j("created_at":"2027-01-01T00:00:00Z","next_attempt_at":"2027-01-01T00:00:00Z","body":"{}"})j"));
  EXPECT_TRUE(decode(
      R"j({"partner_id":"p","webhook_id":"w","challenge_id":"c","seq":1,"attempt":0,)j"
      R"j("created_at":"2027-01-01T00:00:00Z","next_attempt_at":"2027-01-01T00:00:00Z","body":"{}"})j"));
}

}  // namespace
}  // namespace crp::webhooks
