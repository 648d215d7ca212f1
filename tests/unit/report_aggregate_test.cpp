// The board report's figures: counts, medians, the period filter, Stage 4.
#include "adapter/runtime/report/aggregate.h"
#include "adapter/runtime/report/fact_source.h"
#include "adapter/runtime/report/period_preset.h"

#include <gtest/gtest.h>

#include <sstream>

namespace crp::report {
namespace {

ChallengeFact fact(const std::string& id, const std::string& protocol, const std::string& closed_on,
                   std::vector<std::string> stages, int working_days,
                   const std::string& outcome = "resolved") {
  ChallengeFact f;
  f.challenge_id = id;
  f.protocol = protocol;
  f.agency = "health_visiting";
  f.closed_on = closed_on;
  f.closed_at = *parse_iso8601(closed_on + "T12:00:00Z");
  f.outcome = outcome;
  f.stages_visited = std::move(stages);
  f.starting_stage = f.stages_visited.front();
  f.highest_stage = f.stages_visited.back();
  f.working_days = working_days;
  f.calendar_days = working_days + 2;
  return f;
}

int value_of(const std::vector<Count>& counts, const std::string& key) {
  for (const Count& c : counts) {
    if (c.key == key) return c.value;
  }
  return -1;
}

TEST(ReportMedian, OddEvenAndEmpty) {
  EXPECT_EQ(median({}), 0);
  EXPECT_EQ(median({7}), 7);
  EXPECT_EQ(median({9, 1, 5}), 5);
  EXPECT_EQ(median({10, 1, 4, 7}), 5.5);  // unsorted input; mean of the middle two
  EXPECT_EQ(median({3, 3, 3, 100}), 3);
}

TEST(ReportAggregate, CountsOnlyChallengesClosedInThePeriodInclusive) {
  Period period{"2027-04-01", "2027-09-30"};
  std::vector<ChallengeFact> facts{
      fact("A", "rotherham", "2027-03-31", {"stage1"}, 3),  // the day before: out
      fact("B", "rotherham", "2027-04-01", {"stage1", "stage2", "stage3", "stage4"}, 20),
      fact("C", "calderdale", "2027-09-30", {"informal"}, 4, "withdrawn"),
      fact("D", "bradford", "2027-10-01", {"stage4"}, 2),  // the day after: out
      fact("E", "walsall", "2027-06-15", {"stage2", "stage3"}, 11, "exhausted"),
  };
  ReportData d = aggregate_closed(facts, period);
  EXPECT_EQ(d.total, 3);
  EXPECT_EQ(value_of(d.by_protocol, "rotherham"), 1);
  EXPECT_EQ(value_of(d.by_protocol, "bradford"), -1);
  EXPECT_EQ(value_of(d.by_outcome, "resolved"), 1);
  EXPECT_EQ(value_of(d.by_outcome, "withdrawn"), 1);
  EXPECT_EQ(value_of(d.by_outcome, "exhausted"), 1);
  EXPECT_EQ(d.median_working_days, 11);
  EXPECT_EQ(d.median_calendar_days, 13);
  EXPECT_EQ(d.max_working_days, 20);
  EXPECT_EQ(value_of(d.resolution_bands, "0-5 working days"), 1);
  EXPECT_EQ(value_of(d.resolution_bands, "11-15 working days"), 1);
  EXPECT_EQ(value_of(d.resolution_bands, "16-20 working days"), 1);
  EXPECT_EQ(value_of(d.resolution_bands, "over 60 working days"), 0);
  ASSERT_EQ(in_period(facts, period).size(), 3u);
  EXPECT_EQ(in_period(facts, period).front().challenge_id, "B");  // closing order
}

TEST(ReportAggregate, StagesInRouteOrderThemesOncePerChallengeMostFirst) {
  Period period{"2027-01-01", "2027-12-31"};
  ChallengeFact a =
      fact("A", "iro-cp-lac", "2027-02-01", {"level1", "level2", "stage1", "stage2", "final"}, 30);
  a.categories = {"quality_of_assessment", "core_groups_not_held", "quality_of_assessment"};
  ChallengeFact b = fact("B", "walsall", "2027-02-02", {"informal"}, 1);
  b.categories = {"core_groups_not_held"};
  b.agency = "Primary School";
  ChallengeFact c = fact("C", "bradford", "2027-02-03", {"stage1", "stage2"}, 9);
  ReportData d = aggregate_closed({c, a, b}, period);
  ASSERT_EQ(d.by_stage_reached.size(), 3u);
  EXPECT_EQ(d.by_stage_reached[0].key, "informal");
  EXPECT_EQ(d.by_stage_reached[1].key, "stage2");
  EXPECT_EQ(d.by_stage_reached[1].label, "Stage 2");
  EXPECT_EQ(d.by_stage_reached[2].label, "Final stage");
  ASSERT_EQ(d.by_category.size(), 2u);
  EXPECT_EQ(d.by_category[0].key, "core_groups_not_held");
  EXPECT_EQ(d.by_category[0].value, 2);
  EXPECT_EQ(d.by_category[0].label, "Core groups not held");
  EXPECT_EQ(d.by_category[1].value, 1);  // repeated by the case system, counted once
  EXPECT_EQ(d.by_agency[0].label, "Health visiting");
  EXPECT_EQ(d.by_agency[0].value, 2);
  EXPECT_EQ(d.by_agency[1].label, "Primary School");
  EXPECT_EQ(d.by_protocol[0].label, "Bradford");
  EXPECT_EQ(d.by_protocol[1].label, "IRO-CP-LAC");
}

TEST(ReportAggregate, DeadlinesAddUpByKind) {
  ChallengeFact a = fact("A", "rotherham", "2027-02-01", {"stage1", "stage2"}, 12);
  a.response = {1, 1};
  a.duty = {2, 1};
  ChallengeFact b = fact("B", "calderdale", "2027-02-01", {"stage1", "stage2", "stage3"}, 16);
  b.response = {2, 1};
  b.process = {0, 1};
  ReportData d = aggregate_closed({a, b}, Period{"2027-01-01", "2027-12-31"});
  EXPECT_EQ(d.deadlines.response.met, 3);
  EXPECT_EQ(d.deadlines.response.missed, 2);
  EXPECT_EQ(d.deadlines.duty.met, 2);
  EXPECT_EQ(d.deadlines.process.missed, 1);
  EXPECT_EQ(d.deadlines.met(), 5);
  EXPECT_EQ(d.deadlines.missed(), 4);
}

TEST(ReportAggregate, EmptyPeriodHasZeroesNotGarbage) {
  ReportData d = aggregate_closed({}, Period{"2027-01-01", "2027-06-30"});
  EXPECT_EQ(d.total, 0);
  EXPECT_EQ(d.median_working_days, 0);
  EXPECT_TRUE(d.by_protocol.empty());
  EXPECT_EQ(d.by_outcome.size(), 3u);
}

StageFact stage_fact(StageFactKind kind, const std::string& challenge, int seq,
                     const std::string& on, const std::string& stage,
                     const std::string& deadline = "") {
  StageFact f;
  f.kind = kind;
  f.fact_id = challenge + ":" + std::to_string(seq);
  f.challenge_id = challenge;
  f.protocol = "rotherham";
  f.agency = "police";
  f.stage = stage;
  f.deadline = deadline;
  f.opens_challenge = kind == StageFactKind::stage_started && seq == 1;
  f.occurred_on = on;
  f.occurred_at = *parse_iso8601(on + "T10:00:00Z") + std::chrono::seconds(seq);
  return f;
}

TEST(ReportPeriod, Presets) {
  auto p = [](const std::string& t) {
    auto x = period_preset(t);
    return x ? x->from + ".." + x->to : std::string("none");
  };
  EXPECT_EQ(p("2027"), "2027-01-01..2027-12-31");
  EXPECT_EQ(p("2027H1"), "2027-01-01..2027-06-30");
  EXPECT_EQ(p("2027H2"), "2027-07-01..2027-12-31");
  EXPECT_EQ(p("2027Q3"), "2027-07-01..2027-09-30");
  EXPECT_EQ(p("2027Q1"), "2027-01-01..2027-03-31");
  EXPECT_EQ(p("2028-02"), "2028-02-01..2028-02-29");  // leap year
  EXPECT_EQ(p("2027-02"), "2027-02-01..2027-02-28");
  EXPECT_EQ(p("2027-13"), "none");
  EXPECT_EQ(p("2027H3"), "none");
  EXPECT_EQ(p("1999"), "none");
  EXPECT_EQ(p("27Q1"), "none");
}

TEST(ReportOpenAsAt, OpenOverdueAndClearedByTheNextStage) {
  using K = StageFactKind;
  std::vector<StageFact> facts{
      // A: stage 1 response missed 10 Mar, escalated to stage 2 on 20 Mar: overdue only between.
      stage_fact(K::stage_started, "A", 1, "2027-03-01", "stage1"),
      stage_fact(K::deadline_missed, "A", 2, "2027-03-10", "stage1", "response"),
      stage_fact(K::stage_started, "A", 3, "2027-03-20", "stage2"),
      // B: a duty missed stays overdue across stages until the challenge closes.
      stage_fact(K::stage_started, "B", 1, "2027-03-02", "stage1"),
      stage_fact(K::deadline_missed, "B", 2, "2027-03-05", "stage1", "duty"),
      stage_fact(K::stage_started, "B", 3, "2027-03-15", "stage2"),
      // C: raised after the cut-off date.
      stage_fact(K::stage_started, "C", 1, "2027-04-02", "stage4"),
  };
  ChallengeFact b_closed;
  b_closed.challenge_id = "B";
  b_closed.closed_on = "2027-03-25";
  std::vector<ChallengeFact> closed{b_closed};
  auto at = [&](const std::string& d) {
    auto o = open_as_at(facts, closed, d);
    return std::to_string(o.open.size()) + "/" + std::to_string(o.overdue.size());
  };
  EXPECT_EQ(at("2027-02-28"), "0/0");
  EXPECT_EQ(at("2027-03-04"), "2/0");
  EXPECT_EQ(at("2027-03-12"), "2/2");
  EXPECT_EQ(at("2027-03-21"), "2/1");  // A moved on; B's duty still missed
  EXPECT_EQ(at("2027-03-25"), "1/0");  // B closed that day
  EXPECT_EQ(at("2027-04-02"), "2/0");

  ProtocolInfo rotherham{"rotherham", "Rotherham protocol", {}, {}};
  rotherham.report.monitored.push_back({"stage4_challenges", "Stage 4 Challenges",
                                        MonitoredCountKind::stage_started, "stage4", "q"});
  rotherham.report.monitored.push_back(
      {"raised", "Raised", MonitoredCountKind::challenges_raised, "", "q"});
  ReportData d = aggregate(closed, facts, Period{"2027-03-01", "2027-04-30"}, {rotherham});
  ASSERT_EQ(d.monitored.size(), 2u);
  EXPECT_EQ(d.monitored[0].value, 1);        // C started Stage 4 (open, never closed)
  EXPECT_EQ(d.monitored[0].open_at_end, 1);  // and is still open
  EXPECT_EQ(d.monitored[1].value, 3);
  EXPECT_EQ(d.open_at_end, 2);
  ASSERT_EQ(d.months.size(), 2u);
  EXPECT_EQ(d.months[0].raised, 2);
  EXPECT_EQ(d.months[0].deadlines_missed, 2);
  EXPECT_EQ(d.months[0].closed, 1);
  EXPECT_EQ(d.months[1].raised, 1);
  EXPECT_EQ(value_of(d.missed_by_agency, "police"), 2);
}

// The deadlines met at closing share the closing event's fact_id: each is
// kept, while the same record read twice (a replay, a re-read topic) counts once.
TEST(ReportFactSource, MetAtClosingKeptApartRepeatedRecordsOnce) {
  const std::string head =
      R"({"fact":"deadline.met","fact_version":2,"fact_id":"R-1:30","challenge_id":"R-1",)"
      R"("protocol":"rotherham","track":"cp","agency":"police","stage":"stage2",)"
      R"("stage_label":"Stage 2",)";
  const std::string tail = R"("occurred_at":"2027-02-05T14:00:00Z","occurred_on":"2027-02-05"})";
  const std::string response = head + R"("deadline":"response",)" + tail;
  const std::string duty = head + R"("deadline":"duty","duty":"stage2_form",)" + tail;
  std::istringstream in(response + "\n" + duty + "\n" + duty + "\n" + response + "\n");
  FactSet set = read_facts_jsonl(in, "crp.facts");
  EXPECT_TRUE(set.problems.empty()) << (set.problems.empty() ? "" : set.problems[0]);
  ASSERT_EQ(set.stage_facts.size(), 2u);
  EXPECT_EQ(set.stage_facts[0].deadline, "response");
  EXPECT_EQ(set.stage_facts[1].deadline, "duty");
  EXPECT_EQ(set.stage_facts[1].duty, "stage2_form");
}

}  // namespace
}  // namespace crp::report
