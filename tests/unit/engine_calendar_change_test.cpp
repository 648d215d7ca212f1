// A one-off bank holiday added to the calendar under open challenges
// (docs/decisions/0060): exactly the open deadlines whose window holds it move
// by one working day, with challenge.deadline_changed and an email to the one
// each waits on; deadlines outside the window, already passed, or of a closed
// challenge stay; the change is applied once (again: nothing) and survives a
// restore.
#include <gtest/gtest.h>

#include "adapter/engine/challenge_codec.h"
#include "adapter/json/json.h"
#include "tests/unit/engine_fixture.h"

namespace crp {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the engine fixture

// The shipped calendar with one more England and Wales bank holiday.
std::shared_ptr<const ProtocolSet> with_extra_holiday(const std::string& date) {
  const std::string file = std::string(CRP_SOURCE_DIR) + "/config/calendars/bank-holidays.json";
  std::string text = json::read_file(file);
  const std::string marker = "\"england-and-wales\"";
  const std::size_t events = text.find("\"events\"", text.find(marker));
  const std::size_t open = text.find('[', events);
  text.insert(open + 1, "{\"title\":\"One-off bank holiday\",\"date\":\"" + date +
                            "\",\"notes\":\"\",\"bunting\":true},");
  return with_calendar(*example_config().protocols, text, file);
}

std::vector<std::pair<std::string, LifecycleEvent>> changes(const Effects& out) {
  std::vector<std::pair<std::string, LifecycleEvent>> found;
  for (const Effect& e : out) {
    const auto* ev = std::get_if<LifecycleEvent>(&e.what);
    if (ev && ev->type == "challenge.deadline_changed") found.emplace_back(e.challenge_id, *ev);
  }
  return found;
}

void raise(Engine& engine, const std::string& id, const std::string& when, Effects& out) {
  engine.apply(event(EventType::raised, "raise-" + id, when, id), at(when), out);
}

// Rotherham: Stage 1 "within 10 working days", the Stage 1 form "within three
// working days". Fri 11 Jun 2027 becomes a bank holiday on Mon 7 Jun 12:00Z.
//  C1 raised Mon 7 Jun: response due Mon 21 Jun -> Tue 22 Jun; form due Thu 10 Jun (no change).
//  C3 raised Thu 27 May: response due Fri 11 Jun -> Mon 14 Jun (31 May is the spring bank
//     holiday); its form was due Wed 2 Jun and has passed: it stays.
//  C4 raised Fri 4 Jun and closed: nothing.
//  C5 raised Tue 1 Jun, answered Wed 2 Jun: no response deadline; its decision clock
//     (5 working days from Wed 2 Jun: Wed 9 Jun) ends before the holiday: it stays.
TEST(EngineCalendarChange, AOneOffBankHolidayMovesExactlyTheOpenDeadlinesWhoseWindowHoldsIt) {
  Engine engine(example_config().protocols);
  Effects out;
  raise(engine, "C3", "2027-05-27T09:00:00Z", out);
  raise(engine, "C5", "2027-06-01T09:00:00Z", out);
  engine.apply(event(EventType::response_received, "resp-C5", "2027-06-02T09:00:00Z", "C5"),
               at("2027-06-02T09:00:00Z"), out);
  raise(engine, "C4", "2027-06-04T09:00:00Z", out);
  InboundEvent withdrawn = event(EventType::withdrawn, "close-C4", "2027-06-04T10:00:00Z", "C4");
  engine.apply(withdrawn, at("2027-06-04T10:00:00Z"), out);
  ASSERT_TRUE(engine.find("C4")->closed());
  raise(engine, "C1", "2027-06-07T09:00:00Z", out);
  engine.advance_to(at("2027-06-07T12:00:00Z"), out);
  ASSERT_EQ(format_iso8601(*engine.find("C1")->due_at), "2027-06-21T16:00:00Z");
  ASSERT_EQ(format_iso8601(*engine.find("C3")->due_at), "2027-06-11T16:00:00Z");
  ASSERT_TRUE(engine.find("C3")->duties[0].overdue);
  const Instant c5_decision = *engine.find("C5")->decide_due_at;
  ASSERT_EQ(format_iso8601(c5_decision), "2027-06-09T16:00:00Z");
  engine.take_dirty();

  out.clear();
  engine.change_calendar(with_extra_holiday("2027-06-11"), at("2027-06-07T12:00:00Z"), out);
  auto moved = changes(out);
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(moved[0].first, "C1");
  EXPECT_EQ(moved[0].second.deadline, "response");
  EXPECT_EQ(moved[0].second.stage, "stage1");
  EXPECT_EQ(format_iso8601(*moved[0].second.previous_due_at), "2027-06-21T16:00:00Z");
  EXPECT_EQ(format_iso8601(*moved[0].second.due_at), "2027-06-22T16:00:00Z");
  EXPECT_EQ(format_iso8601(moved[0].second.occurred_at), "2027-06-07T12:00:00Z");
  EXPECT_EQ(moved[1].first, "C3");
  EXPECT_EQ(format_iso8601(*moved[1].second.previous_due_at), "2027-06-11T16:00:00Z");
  EXPECT_EQ(format_iso8601(*moved[1].second.due_at), "2027-06-14T16:00:00Z");
  // One email each, to the one the response waits on (Rotherham Stage 1: the line manager).
  auto emails = only<NotificationDecision>(out);
  ASSERT_EQ(emails.size(), 2u);
  for (const auto& n : emails) {
    EXPECT_EQ(n.template_key, "deadline_changed");
    EXPECT_EQ(n.to, (std::vector<std::string>{"line_manager"}));
    EXPECT_TRUE(n.cc.empty());
  }
  EXPECT_NE(emails[0].reason.find("now due by 2027-06-22, not 2027-06-21"), std::string::npos);
  EXPECT_TRUE(only<CaseNoteDecision>(out).empty());
  // Untouched: C1's form (Thu 10 Jun), C3's passed form, C5's decision, closed C4.
  EXPECT_EQ(format_iso8601(engine.find("C1")->duties[0].due), "2027-06-10T16:00:00Z");
  EXPECT_EQ(format_iso8601(engine.find("C3")->duties[0].due), "2027-06-02T16:00:00Z");
  EXPECT_EQ(*engine.find("C5")->decide_due_at, c5_decision);
  // The reminders follow: C1's from Fri 18 Jun to Mon 21 Jun; C3's stays Thu 10 Jun.
  EXPECT_EQ(format_iso8601(*engine.find("C1")->response_remind_at), "2027-06-21T16:00:00Z");
  EXPECT_EQ(format_iso8601(*engine.find("C3")->response_remind_at), "2027-06-10T16:00:00Z");
  auto dirty = engine.take_dirty();
  std::sort(dirty.begin(), dirty.end());
  EXPECT_EQ(dirty, (std::vector<std::string>{"C1", "C3"}));

  // The same calendar again changes nothing: a change is applied once.
  out.clear();
  engine.change_calendar(with_extra_holiday("2027-06-11"), at("2027-06-07T13:00:00Z"), out);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(engine.take_dirty().empty());

  // The deadlines fire at their new instants: nothing on Fri 11 Jun for C3.
  out.clear();
  engine.advance_to(at("2027-06-14T15:59:59Z"), out);
  for (const auto& ev : only<LifecycleEvent>(out))
    EXPECT_NE(ev.type, "challenge.response_overdue") << format_iso8601(ev.occurred_at);
  engine.advance_to(at("2027-06-14T16:00:00Z"), out);
  bool c3_overdue = false;
  for (const Effect& e : out) {
    const auto* ev = std::get_if<LifecycleEvent>(&e.what);
    if (ev && ev->type == "challenge.response_overdue" && e.challenge_id == "C3")
      c3_overdue = format_iso8601(ev->occurred_at) == "2027-06-14T16:00:00Z";
  }
  EXPECT_TRUE(c3_overdue);
}

// After a restart the state holds the moved deadlines: the new calendar,
// loaded at start, finds nothing to move, so nothing is announced twice.
TEST(EngineCalendarChange, OnceAcrossARestore) {
  auto next = with_extra_holiday("2027-06-11");
  Engine engine(example_config().protocols);
  Effects out;
  raise(engine, "C1", "2027-06-07T09:00:00Z", out);
  engine.change_calendar(next, at("2027-06-07T12:00:00Z"), out);
  ASSERT_EQ(changes(out).size(), 1u);

  Engine restarted(next);
  std::string error;
  ASSERT_TRUE(restarted.restore_state("C1", engine.encode_state("C1"), error)) << error;
  out.clear();
  restarted.change_calendar(next, at("2027-06-07T12:05:00Z"), out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(format_iso8601(*restarted.find("C1")->due_at), "2027-06-22T16:00:00Z");
  EXPECT_EQ(format_iso8601(*restarted.next_due()), "2027-06-09T16:00:00Z");  // the form's reminder
}

// A deadline the change moves earlier than now (a holiday taken away) falls due
// at once, as a deadline missed during a restart does; never un-fired.
TEST(EngineCalendarChange, AHolidayTakenAwayCanBringADeadlineDueAtOnce) {
  auto extra = with_extra_holiday("2027-06-11");
  Engine engine(extra);
  Effects out;
  // Under the extra holiday, raised Thu 27 May: due Mon 14 Jun 17:00 BST.
  raise(engine, "C3", "2027-05-27T09:00:00Z", out);
  ASSERT_EQ(format_iso8601(*engine.find("C3")->due_at), "2027-06-14T16:00:00Z");
  engine.advance_to(at("2027-06-14T09:00:00Z"), out);  // the reminder went on Thu 10 Jun
  ASSERT_FALSE(engine.find("C3")->response_remind_at);
  out.clear();
  // On Mon 14 Jun 09:00Z the holiday is withdrawn: due Fri 11 Jun, already past.
  engine.change_calendar(example_config().protocols, at("2027-06-14T09:00:00Z"), out);
  auto moved = changes(out);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(format_iso8601(*moved[0].second.due_at), "2027-06-11T16:00:00Z");
  EXPECT_FALSE(engine.find("C3")->response_remind_at);  // sent already: not again
  out.clear();
  engine.advance_to(at("2027-06-14T09:00:00Z"), out);
  bool overdue = false;
  for (const auto& ev : only<LifecycleEvent>(out)) {
    if (ev.type == "challenge.response_overdue")
      overdue = format_iso8601(ev.occurred_at) == "2027-06-11T16:00:00Z";
  }
  EXPECT_TRUE(overdue);
  // Restoring the holiday now moves nothing back: the response deadline has fired.
  out.clear();
  engine.change_calendar(extra, at("2027-06-14T10:00:00Z"), out);
  EXPECT_TRUE(changes(out).empty());
}

// Changed while stopped: the changelog keeps the calendar a partition was counted
// under (Engine::kCalendarKey), and an engine restored with it starts from that
// calendar, so the next change_calendar() to the file's moves what a live change would.
TEST(EngineCalendarChange, TheCountedCalendarIsKeptWithTheStateAndRestoredFromIt) {
  const std::string plain =
      json::read_file(std::string(CRP_SOURCE_DIR) + "/config/calendars/bank-holidays.json");
  Engine before(example_config().protocols);
  Effects out;
  raise(before, "C1", "2027-06-07T09:00:00Z", out);  // due Mon 21 Jun under the plain calendar
  before.set_counted(Engine::kCalendarKey, plain);
  std::vector<std::string> dirty = before.take_dirty();
  ASSERT_EQ(dirty.size(), 2u);
  EXPECT_EQ(dirty[1], Engine::kCalendarKey);
  EXPECT_EQ(before.encode_state(std::string(Engine::kCalendarKey)), plain);
  before.set_counted(Engine::kCalendarKey, plain);  // unchanged: not written again
  EXPECT_TRUE(before.take_dirty().empty());

  // Restored by a service whose file now has Fri 11 Jun as a bank holiday.
  auto extra = with_extra_holiday("2027-06-11");
  Engine after(extra);
  std::string error;
  ASSERT_TRUE(after.restore_state(Engine::kCalendarKey, plain, error)) << error;
  ASSERT_TRUE(after.restore_state("C1", encode_challenge(*before.find("C1")), error)) << error;
  ASSERT_NE(after.counted(Engine::kCalendarKey), nullptr);
  EXPECT_EQ(*after.counted(Engine::kCalendarKey), plain);
  EXPECT_EQ(after.size(), 1u);  // the calendar record is no challenge
  after.assume_calendar(example_config().protocols);
  out.clear();
  after.change_calendar(extra, at("2027-06-07T12:00:00Z"), out);
  auto moved = changes(out);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(format_iso8601(*moved[0].second.previous_due_at), "2027-06-21T16:00:00Z");
  EXPECT_EQ(format_iso8601(*moved[0].second.due_at), "2027-06-22T16:00:00Z");
  after.drop_state(Engine::kCalendarKey);
  EXPECT_EQ(after.counted(Engine::kCalendarKey), nullptr);
}

}  // namespace
}  // namespace crp
