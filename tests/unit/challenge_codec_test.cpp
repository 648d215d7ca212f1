#include "adapter/engine/challenge_codec.h"

#include <gtest/gtest.h>

#include <limits>

#include "tests/unit/engine_fixture.h"

namespace crp {
namespace {

Challenge every_field() {
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
  c.seen_event_ids = {"a",
                      "b\x1f"
                      "0123456789abcdef"};
  c.route = "practice_concern";
  c.decide_due_at = testing::at("2027-01-15T17:00:00Z");
  c.decision_overdue = false;
  c.history = {
      HistoryEntry{testing::at("2027-01-04T09:00:00Z"), "challenge.stage_started", "stage3"}};
  return c;
}

std::string ms(const char* iso) {
  return std::to_string(testing::at(iso).time_since_epoch().count());
}

TEST(ChallengeCodec, RoundTripsEveryField) {
  const Challenge c = every_field();
  std::string bytes = encode_challenge(c);
  std::string error;
  auto back = decode_challenge(bytes, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(encode_challenge(*back), bytes);
  EXPECT_EQ(back->phase, Phase::awaiting_approval);
  EXPECT_EQ(back->meeting_at, c.meeting_at);
  EXPECT_EQ(back->duties[0].due, c.duties[0].due);
  EXPECT_EQ(back->decide_due_at, c.decide_due_at);
  EXPECT_EQ(back->route, "practice_concern");
  EXPECT_EQ(back->next_deadline(), c.decide_due_at);  // the earliest pending deadline
}

// A changelog written before version 2 still restores (a rolling upgrade).
// every_field() as a version 1 (JSON) record.
std::string every_field_json_v1() {
  return R"({"v":1,"id":"C1","case_id":"LCS-123","protocol":"rotherham","track":"cp",)"
         R"("agency":"health","categories":["core_groups","visits"],"immediate_risk":true,)"
         R"("source_system":"lcs","contacts":{"line_manager":"lm@example.org"},"stage":"stage3",)"
         R"("phase":"awaiting_approval","stage_started_at":)" +
         ms("2027-01-04T09:00:00Z") + R"(,"due_at":)" + ms("2027-01-08T17:00:00Z") +
         R"(,"response_overdue":true,"meeting_at":)" + ms("2027-01-09T10:30:00.250Z") +
         R"(,"duties":[{"stage":"stage3","id":"director_notified","due":)" +
         ms("2027-01-05T17:00:00Z") + R"(,"done":true,"overdue":false}],"process_due_at":)" +
         ms("2027-01-25T17:00:00Z") + R"(,"process_overdue":true,"check_due_at":)" +
         ms("2027-02-25T17:00:00Z") + R"(,"outcome":"","opened_at":)" + ms("2027-01-04T09:00:00Z") +
         R"(,"last_event_at":)" + ms("2027-01-05T09:00:00Z") +
         R"(,"seq":17,"seen":["a","b"],"history":[{"at":)" + ms("2027-01-04T09:00:00Z") +
         R"(,"event":"challenge.stage_started","stage":"stage3"}]})";
}

TEST(ChallengeCodec, ReadsVersion1Json) {
  const std::string v1 = every_field_json_v1();
  std::string error;
  auto back = decode_challenge(v1, error);
  ASSERT_TRUE(back) << error;
  // Version 1 predates routes, the decision clock and event fingerprints.
  Challenge expected = every_field();
  expected.route.clear();
  expected.decide_due_at.reset();
  expected.seen_event_ids = {"a", "b"};
  EXPECT_EQ(encode_challenge(*back), encode_challenge(expected));
}

TEST(ChallengeCodec, Version3IsLessThanHalfTheJsonSize) {
  const std::string bytes = encode_challenge(every_field());
  EXPECT_EQ(bytes.front(), '\x03');
  EXPECT_LT(bytes.size() * 2, every_field_json_v1().size());
}

// State written by the previous release (version 2: no route, no decision
// clock) still restores after an upgrade.
TEST(ChallengeCodec, ReadsVersion2Records) {
  Challenge c = every_field();
  c.route.clear();
  c.decide_due_at.reset();
  std::string v2 = encode_challenge(c);
  ASSERT_EQ(v2.substr(v2.size() - 2), std::string("\0\0", 2));  // empty route, no flags
  v2.resize(v2.size() - 2);
  v2.front() = '\x02';
  std::string error;
  auto back = decode_challenge(v2, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(encode_challenge(*back), encode_challenge(c));
  EXPECT_EQ(back->stage, "stage3");
  EXPECT_FALSE(back->decide_due_at);
}

// Every prefix of a record is refused with a reason, never read past its end
// (the ASan run of this test is what proves the bounds checks).
TEST(ChallengeCodec, RefusesEveryTruncation) {
  const std::string bytes = encode_challenge(every_field());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    std::string error;
    EXPECT_FALSE(decode_challenge(bytes.substr(0, n), error)) << n;
    EXPECT_FALSE(error.empty()) << n;
  }
  std::string error;
  EXPECT_FALSE(decode_challenge(bytes + "x", error));
  EXPECT_NE(error.find("after the record"), std::string::npos) << error;
  std::string bad_phase = bytes;
  Challenge c = every_field();
  c.phase = Phase::closed;
  const std::string closed = encode_challenge(c);
  ASSERT_EQ(closed.size(), bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != closed[i]) bad_phase[i] = '\x7f';  // the phase byte
  }
  EXPECT_FALSE(decode_challenge(bad_phase, error));
  EXPECT_NE(error.find("phase"), std::string::npos) << error;
}

// Times are stored relative to opened_at with wrapping arithmetic, so even
// the extreme instants a damaged record can hold decode without signed
// overflow (the ASan+UBSan run checks); they are then refused as out of range
// rather than handed to date arithmetic.
TEST(ChallengeCodec, ExtremeTimesAreRefusedWithoutOverflow) {
  Challenge c = every_field();
  c.opened_at = Instant(std::chrono::milliseconds(std::numeric_limits<std::int64_t>::min()));
  c.stage_started_at = Instant(std::chrono::milliseconds(std::numeric_limits<std::int64_t>::max()));
  std::string error;
  EXPECT_FALSE(decode_challenge(encode_challenge(c), error));
  EXPECT_NE(error.find("instant out of range (1900-2300)"), std::string::npos) << error;
}

// Every integer a version 2/3 record holds is range-checked: an instant
// outside 1900-2300, a seq of 2^63 or more, a varint longer than 64 bits and
// a flag bit no writer sets each give an error naming the fault.
TEST(ChallengeCodec, RefusesOutOfRangeIntegers) {
  std::string error;
  Challenge c = every_field();
  c.due_at = testing::at("2300-01-01T00:00:00.001Z");
  EXPECT_FALSE(decode_challenge(encode_challenge(c), error));
  EXPECT_NE(error.find("instant out of range"), std::string::npos) << error;
  c.due_at = testing::at("2299-12-31T23:59:59Z");  // the edge is inside
  EXPECT_TRUE(decode_challenge(encode_challenge(c), error)) << error;

  c = every_field();
  c.duties[0].due = Instant(std::chrono::milliseconds(-2208988800001));  // 1899-12-31T23:59:59.999
  EXPECT_FALSE(decode_challenge(encode_challenge(c), error));
  EXPECT_NE(error.find("instant out of range"), std::string::npos) << error;

  c = every_field();
  c.seq = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1;
  EXPECT_FALSE(decode_challenge(encode_challenge(c), error));
  EXPECT_NE(error.find("seq out of range"), std::string::npos) << error;
  c.seq = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  EXPECT_TRUE(decode_challenge(encode_challenge(c), error)) << error;

  // opened_at as an 11-byte varint: more than 64 bits.
  std::string overlong = "\x03";
  overlong += std::string(10, '\xff');
  overlong += '\x01';
  EXPECT_FALSE(decode_challenge(overlong, error));
  EXPECT_NE(error.find("malformed varint"), std::string::npos) << error;
  // A tenth byte with more than bit 63 would lose bits: refused too.
  std::string lossy = "\x03";
  lossy += std::string(9, '\xff');
  lossy += '\x02';
  EXPECT_FALSE(decode_challenge(lossy, error));
  EXPECT_NE(error.find("malformed varint"), std::string::npos) << error;

  // The challenge flags byte: find it as the one byte immediate_risk changes.
  Challenge quiet = every_field();
  quiet.immediate_risk = false;
  const std::string bytes = encode_challenge(every_field());
  const std::string other = encode_challenge(quiet);
  ASSERT_EQ(bytes.size(), other.size());
  std::string unknown_flag = bytes;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != other[i]) unknown_flag[i] = static_cast<char>(bytes[i] | 0x80);
  }
  ASSERT_NE(unknown_flag, bytes);
  EXPECT_FALSE(decode_challenge(unknown_flag, error));
  EXPECT_NE(error.find("unknown flag bits"), std::string::npos) << error;
}

// Version 1 (JSON): a number of the wrong type or range is refused naming the
// field, never read as 0 (it used to be: a due date of 0 is an overdue 1970).
TEST(ChallengeCodec, RefusesOutOfRangeVersion1Numbers) {
  const std::string v1 = every_field_json_v1();
  const std::string due = "\"due_at\":" + ms("2027-01-08T17:00:00Z");
  ASSERT_NE(v1.find(due), std::string::npos);
  struct Case {
    std::string replace, with, error;
  };
  const Case cases[] = {
      {due, "\"due_at\":1000000000000000000", "field due_at is out of range (1900-2300)"},
      {due, "\"due_at\":9223372036854775808", "field due_at is not an integer of milliseconds"},
      {due, "\"due_at\":1.5", "field due_at is not an integer of milliseconds"},
      {due, "\"due_at\":\"soon\"", "field due_at is not an integer of milliseconds"},
      {"\"seq\":17", "\"seq\":-1", "field seq is not an integer from 0 to 2^63-1"},
      {"\"seq\":17", "\"seq\":9223372036854775808", "field seq is not an integer from 0 to 2^63-1"},
      {"\"seq\":17", "\"seq\":1e300", "field seq is not an integer from 0 to 2^63-1"},
  };
  for (const Case& k : cases) {
    std::string bad = v1;
    bad.replace(bad.find(k.replace), k.replace.size(), k.with);
    std::string error;
    EXPECT_FALSE(decode_challenge(bad, error)) << k.with;
    EXPECT_EQ(error, "version 1 challenge state record: " + k.error) << k.with;
  }
  // A nested time (a duty's due) is checked the same way.
  std::string bad = v1;
  const std::string duty_due = "\"due\":" + ms("2027-01-05T17:00:00Z");
  bad.replace(bad.find(duty_due), duty_due.size(), "\"due\":-9000000000000000");
  std::string error;
  EXPECT_FALSE(decode_challenge(bad, error));
  EXPECT_EQ(error, "version 1 challenge state record: field due is out of range (1900-2300)");
  // And the unchanged record still decodes after a refused one (no state left behind).
  EXPECT_TRUE(decode_challenge(v1, error)) << error;
}

TEST(ChallengeCodec, RejectsOtherBytes) {
  std::string error;
  EXPECT_FALSE(decode_challenge("not json", error));
  EXPECT_NE(error.find("not a challenge state record"), std::string::npos) << error;
  EXPECT_FALSE(decode_challenge("{\"v\":2,\"id\":\"x\",\"phase\":\"closed\"}", error));
  EXPECT_NE(error.find("version"), std::string::npos);
  EXPECT_FALSE(decode_challenge("{\"v\":1,\"id\":\"x\",\"phase\":\"sleeping\"}", error));
}

}  // namespace
}  // namespace crp
