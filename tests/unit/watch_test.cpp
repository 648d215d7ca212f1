// The drift watchdog through the engine: state survives the changelog round
// trip with its checks, redeliveries are ignored, and bad records are refused.
#include "adapter/engine/watch/watch.h"

#include <gtest/gtest.h>

#include "adapter/engine/engine.h"
#include "adapter/engine/protocol_loader.h"
#include "adapter/engine/watch/plan_codec.h"
#include "adapter/json/json.h"
#include "tests/unit/engine_fixture.h"

namespace crp {
namespace {

using testing::at;
using testing::example_config;
using testing::only;

InboundEvent activity(EventType type, const std::string& id, const std::string& when,
                      const std::string& plan = "P1") {
  InboundEvent e;
  e.type = type;
  e.event_id = id;
  e.occurred_at = at(when);
  e.plan_id = plan;
  e.case_id = "CASE-" + plan;
  e.protocol = "walsall";
  e.conference_id = "RCPC-1";
  return e;
}

InboundEvent scheduled(const std::string& id, const std::string& when, const std::string& start) {
  InboundEvent e = activity(EventType::conference_scheduled, id, when);
  e.conference_kind = "review";
  e.conference_at = at(start);
  return e;
}

TEST(Watch, ScheduledConferenceArmsItsChecksAndSurvivesTheChangelog) {
  Engine engine(example_config().protocols);
  Effects out;
  // Review conference Thu 2027-04-01: the summary at 09:00 on Thu 25 March
  // (three working days back over Easter), then the report check at 17:00.
  engine.apply(scheduled("a1", "2027-03-10T10:00:00Z", "2027-04-01T09:00:00Z"),
               at("2027-03-10T10:00:00Z"), out);
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(engine.next_due());
  EXPECT_EQ(format_iso8601(*engine.next_due()), "2027-03-25T09:00:00Z");

  const auto dirty = engine.take_dirty();
  ASSERT_EQ(dirty, std::vector<std::string>{"watch:P1"});
  const std::string bytes = engine.encode_state(dirty[0]);
  ASSERT_FALSE(bytes.empty());

  Engine restored(example_config().protocols);
  std::string error;
  ASSERT_TRUE(restored.restore_state(dirty[0], bytes, error)) << error;
  EXPECT_EQ(restored.encode_state("watch:P1"), bytes);
  EXPECT_EQ(restored.next_due(), engine.next_due());

  // Both fire the same checks at the same instants.
  Effects a, b;
  engine.advance_to(at("2027-03-26T00:00:00Z"), a);
  restored.advance_to(at("2027-03-26T00:00:00Z"), b);
  ASSERT_EQ(a.size(), b.size());
  auto breaches = only<LifecycleEvent>(b);
  ASSERT_EQ(breaches.size(), 2u);
  EXPECT_EQ(breaches[0].type, "watch.pre_conference_check");
  EXPECT_EQ(breaches[1].type, "watch.breach");
  EXPECT_EQ(breaches[1].rule, "report_shared_before_conference");
  EXPECT_EQ(format_iso8601(*breaches[1].due_at), "2027-03-25T17:00:00Z");

  // A tombstone forgets the plan and its timer.
  restored.drop_state("watch:P1");
  EXPECT_EQ(restored.watch().find("P1"), nullptr);
}

TEST(Watch, RedeliveryIsIgnoredAndAReusedEventIdIsRefused) {
  Engine engine(example_config().protocols);
  Effects out;
  engine.apply(scheduled("a1", "2027-03-10T10:00:00Z", "2027-04-01T09:00:00Z"),
               at("2027-03-10T10:00:00Z"), out);
  engine.apply(scheduled("a1", "2027-03-10T10:00:00Z", "2027-04-01T09:00:00Z"),
               at("2027-03-10T10:00:00Z"), out);
  EXPECT_TRUE(out.empty());
  engine.apply(scheduled("a1", "2027-03-10T10:00:00Z", "2027-04-08T09:00:00Z"),
               at("2027-03-10T10:00:00Z"), out);
  auto dlq = only<DlqDecision>(out);
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0].error_class, "crp.EventIdConflict");
}

TEST(Watch, DismissingAnUnknownFindingIsRefused) {
  Engine engine(example_config().protocols);
  Effects out;
  InboundEvent dismiss = activity(EventType::suggestion_dismissed, "a1", "2027-03-10T10:00:00Z");
  dismiss.finding_id = "P1/conference_cancelled/1";
  engine.apply(dismiss, at("2027-03-10T10:00:00Z"), out);
  auto dlq = only<DlqDecision>(out);
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0].error_class, "crp.UnknownFinding");
  EXPECT_EQ(engine.watch().size(), 0u);
}

TEST(Watch, AFindingNamesItsPlan) {
  EXPECT_EQ(Watch::plan_of("P/1/core_group_frequency/2"), "P/1");
  EXPECT_EQ(Watch::plan_of("nonsense"), "");
}

TEST(PlanCodec, DamagedRecordsAreRefused) {
  Engine engine(example_config().protocols);
  Effects out;
  engine.apply(scheduled("a1", "2027-03-10T10:00:00Z", "2027-04-01T09:00:00Z"),
               at("2027-03-10T10:00:00Z"), out);
  const std::string bytes = engine.encode_state("watch:P1");
  std::string error;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_plan(bytes.substr(0, n), error)) << n;
  }
  EXPECT_FALSE(decode_plan(bytes + "x", error));
  EXPECT_FALSE(decode_plan("\x02" + bytes.substr(1), error));  // a challenge's tag
  EXPECT_TRUE(decode_plan(bytes, error)) << error;
}

TEST(WatchRules, AnUnknownSuggestedStageRefusesToLoadWithItsPointer) {
  rapidjson::Document doc =
      json::parse_file(std::string(CRP_SOURCE_DIR) + "/config/protocols/walsall.json");
  doc["watch"]["rules"][0]["suggest_stage"].SetString("stage9");
  try {
    load_protocol(doc, "walsall.json");
    FAIL() << "loaded";
  } catch (const json::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/watch/rules/0/suggest_stage"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace crp
