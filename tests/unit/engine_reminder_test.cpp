// Reminders before deadlines (docs/decisions/0056): when they fire by the
// calendar, who they go to, that they go once across a restore, and that an
// answered challenge or a left stage gets none.
#include <gtest/gtest.h>
#include <rapidjson/pointer.h>

#include "adapter/engine/challenge_codec.h"
#include "adapter/engine/protocol_loader.h"
#include "adapter/json/json.h"
#include "tests/unit/engine_fixture.h"

namespace crp {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the engine fixture

std::vector<LifecycleEvent> of_type(const Effects& out, const std::string& type) {
  std::vector<LifecycleEvent> found;
  for (const auto& ev : only<LifecycleEvent>(out)) {
    if (ev.type == type) found.push_back(ev);
  }
  return found;
}

std::vector<NotificationDecision> emails(const Effects& out, const std::string& key) {
  std::vector<NotificationDecision> found;
  for (const auto& n : only<NotificationDecision>(out)) {
    if (n.template_key == key) found.push_back(n);
  }
  return found;
}

// Rotherham Stage 1 raised Thu 17 Dec 2026: "responding ... within 10 working
// days" is Tue 5 Jan 2027 17:00 (25, 28 Dec and 1 Jan are bank holidays), and
// "complete the Stage 1 Form within three working days" is Tue 22 Dec.
TEST(EngineReminders, OneWorkingDayBeforeTheResponseAndDutyDeadlinesOverChristmas) {
  Engine engine(example_config().protocols);
  Effects out;
  raise_c1(engine, out);
  out.clear();
  engine.advance_to(at("2026-12-21T16:59:59Z"), out);
  EXPECT_TRUE(out.empty());
  engine.advance_to(at("2026-12-21T17:00:00Z"), out);
  auto duty = of_type(out, "duty.due_soon");
  ASSERT_EQ(duty.size(), 1u);
  EXPECT_EQ(duty[0].duty, "stage1_form");
  EXPECT_EQ(format_iso8601(duty[0].occurred_at), "2026-12-21T17:00:00Z");
  EXPECT_EQ(format_iso8601(*duty[0].due_at), "2026-12-22T17:00:00Z");
  auto duty_email = emails(out, "duty_due_soon");
  ASSERT_EQ(duty_email.size(), 1u);
  EXPECT_EQ(duty_email[0].to, (std::vector<std::string>{"conference_chair"}));
  EXPECT_TRUE(duty_email[0].cc.empty());

  // Mon 4 Jan 2027 is the working day before Tue 5 Jan (Fri 1 Jan is a bank holiday).
  engine.advance_to(at("2027-01-04T16:59:59Z"), out);
  EXPECT_TRUE(of_type(out, "challenge.response_due_soon").empty());
  out.clear();
  engine.advance_to(at("2027-01-04T17:00:00Z"), out);
  auto response = of_type(out, "challenge.response_due_soon");
  ASSERT_EQ(response.size(), 1u);
  EXPECT_EQ(response[0].stage, "stage1");
  EXPECT_EQ(format_iso8601(*response[0].due_at), "2027-01-05T17:00:00Z");
  auto response_email = emails(out, "response_due_soon");
  ASSERT_EQ(response_email.size(), 1u);
  EXPECT_EQ(response_email[0].to, (std::vector<std::string>{"line_manager"}));
  EXPECT_NE(response_email[0].reason.find("due by 2027-01-05"), std::string::npos);
  EXPECT_TRUE(only<CaseNoteDecision>(out).empty());  // a reminder is not a case note
}

// Raised Fri 12 Mar 2027: 10 working days is Tue 30 Mar 2027 17:00 BST (16:00Z);
// Good Friday 26 Mar and Easter Monday 29 Mar are bank holidays and the clocks
// went forward on Sun 28 Mar, so the reminder is Thu 25 Mar 17:00 GMT (17:00Z).
TEST(EngineReminders, KeepTheLocalClockTimeAcrossEasterAndTheClockChange) {
  Engine engine(example_config().protocols);
  Effects out;
  engine.apply(event(EventType::raised, "e1", "2027-03-12T10:00:00Z"), at("2027-03-12T10:00:00Z"),
               out);
  ASSERT_EQ(format_iso8601(*engine.find("C1")->due_at), "2027-03-30T16:00:00Z");
  EXPECT_EQ(format_iso8601(*engine.find("C1")->response_remind_at), "2027-03-25T17:00:00Z");
}

TEST(EngineReminders, NoneOnceAnsweredOrTheStageIsLeft) {
  Engine engine(example_config().protocols);
  Effects out;
  raise_c1(engine, out);
  auto done = event(EventType::duty_completed, "e2", "2026-12-18T10:00:00Z");
  done.duty = "stage1_form";
  engine.apply(done, at("2026-12-18T10:00:00Z"), out);
  engine.apply(event(EventType::response_received, "e3", "2026-12-30T10:00:00Z"),
               at("2026-12-30T10:00:00Z"), out);
  EXPECT_FALSE(engine.find("C1")->response_remind_at);
  out.clear();
  engine.advance_to(at("2027-01-06T00:00:00Z"), out);
  EXPECT_TRUE(of_type(out, "challenge.response_due_soon").empty());
  EXPECT_TRUE(of_type(out, "duty.due_soon").empty());

  // Escalated before the Stage 1 Form reminder: the duty is superseded, unreminded.
  Engine second(example_config().protocols);
  second.apply(event(EventType::raised, "e1", "2026-12-17T10:00:00Z", "C2"),
               at("2026-12-17T10:00:00Z"), out);
  second.apply(event(EventType::escalated, "e2", "2026-12-18T10:00:00Z", "C2"),
               at("2026-12-18T10:00:00Z"), out);
  out.clear();
  second.advance_to(at("2026-12-21T17:00:00Z"), out);
  for (const auto& ev : of_type(out, "duty.due_soon")) EXPECT_NE(ev.duty, "stage1_form");
}

// The changelog holds the reminder instant: restored before it, the reminder
// still goes; restored after it, it does not go again.
TEST(EngineReminders, SentOnceAcrossARestore) {
  Engine engine(example_config().protocols);
  Effects out;
  raise_c1(engine, out);
  auto restored = [&](const Engine& from) {
    Engine to(example_config().protocols);
    std::string error;
    EXPECT_TRUE(to.restore_state("C1", from.encode_state("C1"), error)) << error;
    return to;
  };
  Engine before = restored(engine);
  out.clear();
  before.advance_to(at("2026-12-21T17:00:00Z"), out);
  before.advance_to(at("2027-01-04T17:00:00Z"), out);
  EXPECT_EQ(of_type(out, "challenge.response_due_soon").size(), 1u);
  EXPECT_EQ(of_type(out, "duty.due_soon").size(), 1u);

  Engine after = restored(before);
  out.clear();
  after.advance_to(at("2027-01-05T16:59:59Z"), out);
  EXPECT_TRUE(out.empty());
  after.advance_to(at("2027-01-05T17:00:00Z"), out);
  EXPECT_TRUE(of_type(out, "challenge.response_due_soon").empty());
  EXPECT_EQ(of_type(out, "challenge.response_overdue").size(), 1u);
}

// Decided late (the service was down past the reminder and the deadline), the
// reminder still goes, dated at its instant and before the overdue, exactly as
// a replay that fires each timer on time decides it.
TEST(EngineReminders, DecidedLateTheyGoAsOnTime) {
  Engine engine(example_config().protocols);
  Effects out;
  raise_c1(engine, out);
  out.clear();
  engine.advance_to(at("2027-02-01T00:00:00Z"), out);
  auto lifecycle = only<LifecycleEvent>(out);
  ASSERT_GE(lifecycle.size(), 4u);
  EXPECT_EQ(lifecycle[0].type, "duty.due_soon");
  EXPECT_EQ(format_iso8601(lifecycle[0].occurred_at), "2026-12-21T17:00:00Z");
  EXPECT_EQ(lifecycle[1].type, "duty.overdue");
  EXPECT_EQ(lifecycle[2].type, "challenge.response_due_soon");
  EXPECT_EQ(format_iso8601(lifecycle[2].occurred_at), "2027-01-04T17:00:00Z");
  EXPECT_EQ(lifecycle[3].type, "challenge.response_overdue");
}

TEST(EngineReminders, StateRecordWithAPendingReminderRoundTrips) {
  Engine engine(example_config().protocols);
  Effects out;
  raise_c1(engine, out);
  const std::string bytes = engine.encode_state("C1");
  EXPECT_EQ(bytes.front(), '\x04');
  std::string error;
  auto back = decode_challenge(bytes, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->response_remind_at, engine.find("C1")->response_remind_at);
  ASSERT_EQ(back->duties.size(), 1u);
  EXPECT_EQ(format_iso8601(*back->duties[0].remind_at), "2026-12-21T17:00:00Z");
  EXPECT_EQ(encode_challenge(*back), bytes);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_challenge(bytes.substr(0, n), error)) << n;
  }
}

Protocol rotherham_with(const std::string& pointer, const std::string& json_value) {
  rapidjson::Document doc =
      json::parse_file(std::string(CRP_SOURCE_DIR) + "/config/protocols/rotherham.json");
  rapidjson::Document value;
  value.Parse(json_value.c_str());
  rapidjson::Pointer(pointer.c_str()).Set(doc, rapidjson::Value(value, doc.GetAllocator()));
  return load_protocol(doc, "rotherham.json");
}

TEST(EngineReminders, TurnedOffForAProtocolOrAStage) {
  const auto& calendar = example_config().protocols->find("rotherham")->calendar;
  auto set = std::make_shared<ProtocolSet>();
  set->add(rotherham_with("/reminders", R"({"working_days_before": 0})"), calendar);
  Engine off(set);
  Effects out;
  off.apply(event(EventType::raised, "e1", "2026-12-17T10:00:00Z"), at("2026-12-17T10:00:00Z"),
            out);
  EXPECT_FALSE(off.find("C1")->response_remind_at);
  EXPECT_FALSE(off.find("C1")->duties[0].remind_at);

  auto stage_off = std::make_shared<ProtocolSet>();
  stage_off->add(rotherham_with("/stages/0/reminders", R"({"working_days_before": 0})"), calendar);
  Engine stage(stage_off);
  stage.apply(event(EventType::raised, "e1", "2026-12-17T10:00:00Z"), at("2026-12-17T10:00:00Z"),
              out);
  EXPECT_FALSE(stage.find("C1")->response_remind_at);

  auto two = std::make_shared<ProtocolSet>();
  two->add(rotherham_with("/reminders", R"({"working_days_before": 2})"), calendar);
  Engine earlier(two);
  earlier.apply(event(EventType::raised, "e1", "2026-12-17T10:00:00Z"), at("2026-12-17T10:00:00Z"),
                out);
  // Two working days before Tue 5 Jan 2027: Thu 31 Dec 2026.
  EXPECT_EQ(format_iso8601(*earlier.find("C1")->response_remind_at), "2026-12-31T17:00:00Z");
}

TEST(EngineReminders, LoaderNamesThePointerOfABadSetting) {
  try {
    rotherham_with("/reminders", R"({"working_days_before": 11})");
    ADD_FAILURE() << "loaded an 11-day reminder";
  } catch (const json::ConfigError& e) {
    EXPECT_EQ(e.pointer(), "/reminders/working_days_before") << e.what();
  }
  try {
    // Stage 3: "within 4 working days"; a reminder 4 working days before is never reached.
    rotherham_with("/stages/2/reminders", R"({"working_days_before": 4})");
    ADD_FAILURE() << "loaded a reminder no deadline reaches";
  } catch (const json::ConfigError& e) {
    EXPECT_EQ(e.pointer(), "/stages/2/reminders/working_days_before") << e.what();
    EXPECT_NE(e.reason().find("never reached"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace crp
