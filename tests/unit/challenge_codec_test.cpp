#include "adapter/engine/challenge_codec.h"

#include <gtest/gtest.h>

#include "tests/unit/engine_fixture.h"

namespace crp {
namespace {

TEST(ChallengeCodec, RoundTripsEveryField) {
  Challenge c;
  c.id = "C1";
  c.case_id = "LCS-123";
  c.protocol = "rotherham";
  c.track = "cp";
  c.agency = "health";
  c.categories = {"core_groups", "visits"};
  c.immediate_risk = true;
  c.source_system = "lcs";
  c.contact_emails = {{"line_manager", "lm@example.org"}};
  c.stage = "stage3";
  c.phase = Phase::awaiting_approval;
  c.stage_started_at = testing::at("2027-01-04T09:00:00Z");
  c.due_at = testing::at("2027-01-08T17:00:00Z");
  c.response_overdue = true;
  c.meeting_at = testing::at("2027-01-09T10:30:00.250Z");
  c.duties = {
      DutyState{"stage3", "director_notified", testing::at("2027-01-05T17:00:00Z"), true, false}};
  c.process_due_at = testing::at("2027-01-25T17:00:00Z");
  c.process_overdue = true;
  c.check_due_at = testing::at("2027-02-25T17:00:00Z");
  c.outcome = "";
  c.opened_at = testing::at("2027-01-04T09:00:00Z");
  c.last_event_at = testing::at("2027-01-05T09:00:00Z");
  c.seq = 17;
  c.seen_event_ids = {"a", "b"};
  c.history = {
      HistoryEntry{testing::at("2027-01-04T09:00:00Z"), "challenge.stage_started", "stage3"}};

  std::string bytes = encode_challenge(c);
  std::string error;
  auto back = decode_challenge(bytes, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(encode_challenge(*back), bytes);
  EXPECT_EQ(back->phase, Phase::awaiting_approval);
  EXPECT_EQ(back->meeting_at, c.meeting_at);
  EXPECT_EQ(back->duties[0].due, c.duties[0].due);
  EXPECT_EQ(back->next_deadline(), c.duties.empty() ? std::nullopt : c.check_due_at);
}

TEST(ChallengeCodec, RejectsOtherBytes) {
  std::string error;
  EXPECT_FALSE(decode_challenge("not json", error));
  EXPECT_FALSE(decode_challenge("{\"v\":2,\"id\":\"x\",\"phase\":\"closed\"}", error));
  EXPECT_NE(error.find("version"), std::string::npos);
  EXPECT_FALSE(decode_challenge("{\"v\":1,\"id\":\"x\",\"phase\":\"sleeping\"}", error));
}

}  // namespace
}  // namespace crp
