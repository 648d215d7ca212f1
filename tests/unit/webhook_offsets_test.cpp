// The dispatcher's bookkeeping that decides what may be committed on the
// outbox, and the redelivery record format (docs/decisions/0010, 0011).
#include <gtest/gtest.h>

#include "adapter/runtime/webhooks/offset_tracker.h"
#include "adapter/runtime/webhooks/redelivery.h"

namespace crp::webhooks {
namespace {

TEST(OffsetTracker, NothingReadNothingToCommit) {
  EXPECT_FALSE(OffsetTracker{}.committable());
}

TEST(OffsetTracker, RecordsWithoutDeliveriesMoveTheOffsetAtOnce) {
  OffsetTracker t;
  t.consumed(7, 0);
  t.consumed(8, 0);
  EXPECT_EQ(t.committable(), 9);
}

TEST(OffsetTracker, StopsAtTheFirstRecordWithAnUnsettledDelivery) {
  OffsetTracker t;
  t.consumed(0, 2);  // two partners
  t.consumed(1, 1);
  t.consumed(2, 0);
  EXPECT_EQ(t.committable(), 0);
  t.settled(1);  // a later record settles first: still nothing past 0
  EXPECT_EQ(t.committable(), 0);
  t.settled(0);
  EXPECT_EQ(t.committable(), 0);  // one of record 0's two deliveries is still open
  t.settled(0);
  EXPECT_EQ(t.committable(), 3);
}

TEST(OffsetTracker, UnknownOffsetsAreIgnored) {
  OffsetTracker t;
  t.consumed(5, 1);
  t.settled(4);
  EXPECT_EQ(t.committable(), 5);
  EXPECT_EQ(t.open_records(), 1u);
}

TEST(Redelivery, RoundTripKeepsTheWebhookId) {
  Delivery d;
  d.partner_id = "police-ppu";
  d.webhook_id = "msg_C-1_3_police-ppu";
  d.challenge_id = "C-1";
  d.seq = 3;
  d.body = R"({"specversion":"1.0","id":"msg_C-1_3_police-ppu"})";
  d.attempt = 0;
  std::string problem;
  std::optional<Delivery> back = parse_redelivery(redelivery_value(d), problem);
  ASSERT_TRUE(back) << problem;
  EXPECT_EQ(back->webhook_id, d.webhook_id);
  EXPECT_EQ(back->partner_id, d.partner_id);
  EXPECT_EQ(back->body, d.body);
  EXPECT_EQ(back->seq, 3u);
}

TEST(Redelivery, AnEngineDecisionIsNotARedelivery) {
  std::string problem;
  EXPECT_FALSE(parse_redelivery(R"({"route":"bscp","delivery_id":"C-1:1"})", problem));
  EXPECT_TRUE(problem.empty());
}

TEST(Redelivery, AMalformedRedeliveryIsReported) {
  std::string problem;
  EXPECT_FALSE(parse_redelivery(R"({"redeliver":{"partner_id":1}})", problem));
  EXPECT_FALSE(problem.empty());
}

}  // namespace
}  // namespace crp::webhooks
