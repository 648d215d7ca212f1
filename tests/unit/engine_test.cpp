#include "adapter/engine/engine.h"

#include <gtest/gtest.h>

#include "adapter/engine/challenge_codec.h"
#include "tests/unit/engine_fixture.h"

namespace crp {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the engine fixture

TEST(Engine, RaisingStartsTheStageWithItsDeadlineDutiesAndNotifications) {
  // Rotherham Stage 1 raised Thu 2026-12-17 -> response due 2027-01-05T17:00:00Z.
  Engine engine(example_config().protocols);
  Effects out;
  raise_c1(engine, out);
  auto lifecycle = only<LifecycleEvent>(out);
  ASSERT_EQ(lifecycle.size(), 1u);
  EXPECT_EQ(lifecycle[0].type, "challenge.stage_started");
  EXPECT_EQ(lifecycle[0].stage, "stage1");
  EXPECT_EQ(format_iso8601(*lifecycle[0].due_at), "2027-01-05T17:00:00Z");
  auto notes = only<NotificationDecision>(out);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].to, (std::vector<std::string>{"practitioner", "line_manager"}));
  const Challenge* c = engine.find("C1");
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->duties.size(), 1u);
  // "complete the Stage 1 Form within three working days": Thu 17 Dec -> Tue 22 Dec.
  EXPECT_EQ(format_iso8601(c->duties[0].due), "2026-12-22T17:00:00Z");
  EXPECT_EQ(engine.pending_timers(), 1u);
}

TEST(Engine, RejectedInputLeavesStateUnchangedAndIsDeadLettered) {
  Engine engine(example_config().protocols);
  Effects out;
  raise_c1(engine, out);
  std::string before = encode_challenge(*engine.find("C1"));
  out.clear();
  auto bad = event(EventType::escalated, "e2", "2026-12-18T10:00:00Z");
  bad.to_stage =
      "stage4";  // "Stage 4 will have required the Conference Chair to have exhausted Stages 1-3"
  engine.apply(bad, at("2026-12-18T10:00:00Z"), out);
  auto dlq = only<DlqDecision>(out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0].error_class, "crp.InvalidTransition");
  EXPECT_EQ(encode_challenge(*engine.find("C1")), before);
}

TEST(Engine, DuplicateEventIdsAreIgnored) {
  Engine engine(example_config().protocols);
  Effects out;
  auto raised = event(EventType::raised, "e1", "2026-12-17T10:00:00Z");
  engine.apply(raised, at("2026-12-17T10:00:00Z"), out);
  out.clear();
  engine.apply(raised, at("2026-12-17T10:00:01Z"), out);
  EXPECT_TRUE(out.empty());
  auto withdrawn = event(EventType::withdrawn, "e2", "2026-12-18T10:00:00Z");
  engine.apply(withdrawn, at("2026-12-18T10:00:00Z"), out);
  out.clear();
  engine.apply(withdrawn, at("2026-12-18T10:00:00Z"), out);  // after closure too
  EXPECT_TRUE(out.empty());
}

TEST(Engine, UnknownProtocolChallengeAndOutOfOrderEventsAreDeadLettered) {
  Engine engine(example_config().protocols);
  Effects out;
  engine.apply(event(EventType::raised, "e1", "2026-12-17T10:00:00Z", "C1", "atlantis"),
               at("2026-12-17T10:00:00Z"), out);
  engine.apply(event(EventType::response_received, "e2", "2026-12-17T10:00:00Z", "C9"),
               at("2026-12-17T10:00:00Z"), out);
  engine.apply(event(EventType::raised, "e3", "2026-12-17T10:00:00Z"), at("2026-12-17T10:00:00Z"),
               out);
  engine.apply(event(EventType::response_received, "e4", "2026-12-16T10:00:00Z"),
               at("2026-12-17T10:00:00Z"), out);
  auto dlq = only<DlqDecision>(out);
  ASSERT_EQ(dlq.size(), 3u);
  EXPECT_EQ(dlq[0].error_class, "crp.UnknownProtocol");
  EXPECT_EQ(dlq[1].error_class, "crp.UnknownChallenge");
  EXPECT_EQ(dlq[2].error_class, "crp.OutOfOrder");
}

TEST(Engine, DeadlinesFireOnceInOrderAndOnlyWhenDue) {
  Engine engine(example_config().protocols);
  Effects out;
  raise_c1(engine, out);
  out.clear();
  engine.advance_to(at("2026-12-22T16:59:59Z"), out);
  // Only the Stage 1 Form's reminder, one working day before it is due (decision 0056).
  auto early = only<LifecycleEvent>(out);
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(early[0].type, "duty.due_soon");
  out.clear();
  engine.advance_to(at("2027-01-31T00:00:00Z"), out);
  auto lifecycle = only<LifecycleEvent>(out);
  ASSERT_EQ(lifecycle.size(), 4u);
  EXPECT_EQ(lifecycle[0].type, "duty.overdue");
  EXPECT_EQ(lifecycle[0].duty, "stage1_form");
  EXPECT_EQ(lifecycle[1].type, "challenge.response_due_soon");
  EXPECT_EQ(lifecycle[2].type, "challenge.response_overdue");
  // The chair's decision is chased once, five working days later.
  EXPECT_EQ(lifecycle[3].type, "challenge.decision_overdue");
  EXPECT_EQ(format_iso8601(*lifecycle[3].due_at), "2027-01-12T17:00:00Z");
  out.clear();
  engine.advance_to(at("2028-01-01T00:00:00Z"), out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(engine.pending_timers(), 0u);
}

TEST(Engine, RestoredStateFiresTheSameTimersAsTheOriginal) {
  Engine original(example_config().protocols);
  Effects ignored;
  auto raised = event(EventType::raised, "e1", "2026-12-17T10:00:00Z", "C1", "calderdale");
  original.apply(raised, at("2026-12-17T10:00:00Z"), ignored);

  Engine restored(example_config().protocols);
  std::string error;
  auto copy = decode_challenge(encode_challenge(*original.find("C1")), error);
  ASSERT_TRUE(copy) << error;
  restored.restore(*copy);
  EXPECT_TRUE(restored.take_dirty().empty());

  Effects a, b;
  original.advance_to(at("2027-03-01T00:00:00Z"), a);
  restored.advance_to(at("2027-03-01T00:00:00Z"), b);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id(), b[i].id());
    EXPECT_EQ(a[i].at, b[i].at);
  }
  EXPECT_EQ(encode_challenge(*original.find("C1")), encode_challenge(*restored.find("C1")));
}

TEST(Engine, DropForgetsTheChallengeAndItsTimers) {
  Engine engine(example_config().protocols);
  Effects out;
  raise_c1(engine, out);
  engine.drop("C1");
  EXPECT_EQ(engine.find("C1"), nullptr);
  EXPECT_EQ(engine.pending_timers(), 0u);
  out.clear();
  engine.advance_to(at("2028-01-01T00:00:00Z"), out);
  EXPECT_TRUE(out.empty());
}

TEST(Engine, TakeDirtyNamesEveryChangedChallengeOnce) {
  Engine engine(example_config().protocols);
  Effects out;
  engine.apply(event(EventType::raised, "e1", "2026-12-17T10:00:00Z", "A"),
               at("2026-12-17T10:00:00Z"), out);
  engine.apply(event(EventType::raised, "e2", "2026-12-17T10:00:00Z", "B"),
               at("2026-12-17T10:00:00Z"), out);
  engine.apply(event(EventType::withdrawn, "e3", "2026-12-17T11:00:00Z", "A"),
               at("2026-12-17T11:00:00Z"), out);
  auto dirty = engine.take_dirty();
  std::sort(dirty.begin(), dirty.end());
  EXPECT_EQ(dirty, (std::vector<std::string>{"A", "B"}));
  EXPECT_TRUE(engine.take_dirty().empty());
}

// Closed challenges are kept for the retention period (late events are told
// it is closed, duplicates ignored), then forgotten: their state is deleted
// and take_dirty names them so the runtime writes a changelog tombstone.
TEST(Engine, ClosedChallengesAreForgottenAfterTheirRetention) {
  Engine engine(example_config().protocols);
  engine.set_closed_retention(std::chrono::hours(24 * 30));
  Effects out;
  engine.apply(event(EventType::raised, "e1", "2027-01-04T09:00:00Z"), at("2027-01-04T09:00:00Z"),
               out);
  engine.apply(event(EventType::withdrawn, "e2", "2027-01-05T09:00:00Z"),
               at("2027-01-05T09:00:00Z"), out);
  ASSERT_TRUE(engine.find("C1") && engine.find("C1")->closed());
  (void)engine.take_dirty();
  EXPECT_EQ(engine.next_due(), at("2027-02-04T09:00:00Z"));  // closed + 30 days

  out.clear();
  engine.advance_to(at("2027-02-04T08:59:59Z"), out);
  engine.apply(event(EventType::response_received, "e3", "2027-02-04T08:00:00Z"),
               at("2027-02-04T08:00:00Z"), out);
  ASSERT_EQ(only<DlqDecision>(out).size(), 1u);
  EXPECT_EQ(only<DlqDecision>(out)[0].error_class, "crp.ChallengeClosed");
  (void)engine.take_dirty();

  out.clear();
  engine.advance_to(at("2027-02-04T09:00:00Z"), out);
  EXPECT_TRUE(out.empty());  // forgetting tells nobody
  EXPECT_EQ(engine.find("C1"), nullptr);
  EXPECT_EQ(engine.size(), 0u);
  EXPECT_EQ(engine.take_dirty(), std::vector<std::string>{"C1"});
  EXPECT_EQ(engine.pending_timers(), 0u);
  EXPECT_TRUE(engine.take_dirty().empty());
}

TEST(Engine, ZeroRetentionKeepsClosedChallenges) {
  Engine engine(example_config().protocols);
  Effects out;
  engine.apply(event(EventType::raised, "e1", "2027-01-04T09:00:00Z"), at("2027-01-04T09:00:00Z"),
               out);
  engine.apply(event(EventType::withdrawn, "e2", "2027-01-05T09:00:00Z"),
               at("2027-01-05T09:00:00Z"), out);
  engine.advance_to(at("2030-01-01T00:00:00Z"), out);
  EXPECT_NE(engine.find("C1"), nullptr);
  EXPECT_FALSE(engine.next_due());
}

}  // namespace
}  // namespace crp
