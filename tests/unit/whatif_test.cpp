// What-if replay's figures: escalations, overdue deadlines and medians per
// protocol and stage from facts, the side-by-side rows, and how they print
// (the table, CSV and HTML carry the same figures).
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <sstream>

#include "adapter/runtime/whatif/comparison.h"
#include "adapter/runtime/whatif/render.h"

namespace crp::whatif {
namespace {

using connectors::facts::StageFactKind;
using report::ChallengeFact;
using report::FactSet;
using report::StageFact;

StageFact stage_fact(StageFactKind kind, const std::string& challenge, const std::string& protocol,
                     const std::string& stage) {
  StageFact f;
  f.kind = kind;
  f.challenge_id = challenge;
  f.protocol = protocol;
  f.stage = stage;
  return f;
}

StageFact started(const std::string& challenge, const std::string& protocol,
                  const std::string& stage, bool opens) {
  StageFact f = stage_fact(StageFactKind::stage_started, challenge, protocol, stage);
  f.opens_challenge = opens;
  return f;
}

StageFact missed(const std::string& challenge, const std::string& protocol,
                 const std::string& stage, const std::string& deadline = "response") {
  StageFact f = stage_fact(StageFactKind::deadline_missed, challenge, protocol, stage);
  f.deadline = deadline;
  return f;
}

ChallengeFact closed(const std::string& challenge, const std::string& protocol,
                     const std::string& highest, int working_days) {
  ChallengeFact f;
  f.challenge_id = challenge;
  f.protocol = protocol;
  f.highest_stage = highest;
  f.working_days = working_days;
  return f;
}

TEST(WhatifMedian, NoneWhenNothingClosedOtherwiseTheMiddle) {
  EXPECT_FALSE(median_of({}).has_value());
  EXPECT_EQ(median_of({4}), 4.0);
  EXPECT_EQ(median_of({9, 1, 5}), 5.0);
  EXPECT_EQ(median_of({6, 3, 4, 1}), 3.5);  // the mean of the middle two, unsorted input
}

TEST(WhatifTally, EscalationIsAMoveFromTheStageTheChallengeWasIn) {
  FactSet set;
  set.stage_facts = {
      started("A", "calderdale", "stage1", true), missed("A", "calderdale", "stage1"),
      started("A", "calderdale", "stage2", false), started("B", "calderdale", "stage1", true),
      missed("B", "calderdale", "stage1", "duty"),
      // C starts at Stage 2: no escalation from anywhere.
      started("C", "calderdale", "stage2", true), started("C", "calderdale", "stage3", false)};
  set.facts = {closed("A", "calderdale", "stage2", 7), closed("B", "calderdale", "stage1", 2),
               closed("C", "calderdale", "stage3", 9)};
  const Tally t = tally(set);
  const StageTally& s1 = t.stages.at({"calderdale", "stage1"});
  EXPECT_EQ(s1.started, 2);
  EXPECT_EQ(s1.escalations, 1);
  EXPECT_EQ(s1.overdue, 2);  // a response and a duty
  EXPECT_EQ(s1.working_days, std::vector<int>{2});
  const StageTally& s2 = t.stages.at({"calderdale", "stage2"});
  EXPECT_EQ(s2.started, 2);
  EXPECT_EQ(s2.escalations, 1);  // C moved on from Stage 2
  EXPECT_EQ(s2.overdue, 0);
  EXPECT_EQ(s2.working_days, std::vector<int>{7});
  EXPECT_EQ(t.stages.at({"calderdale", "stage3"}).escalations, 0);
}

TEST(WhatifTally, WatchFindingsAndGoodPracticeAreNoStage) {
  FactSet set;
  StageFact finding;
  finding.kind = StageFactKind::watch_finding;
  finding.protocol = "bradford";
  finding.rule = "report_not_shared";
  StageFact note;
  note.kind = StageFactKind::good_practice_noted;
  note.protocol = "walsall";
  note.challenge_id = "GP-1";
  set.stage_facts = {finding, note};
  EXPECT_TRUE(tally(set).stages.empty());
}

Tally tally_of(std::vector<StageFact> stage_facts, std::vector<ChallengeFact> closed_facts) {
  FactSet set;
  set.stage_facts = std::move(stage_facts);
  set.facts = std::move(closed_facts);
  return tally(set);
}

// Calderdale's Stage 1 at 3 working days instead of 5: B, answered on day 4,
// is escalated under the variant; Bradford is the same under both.
struct Fixture {
  Tally baseline = tally_of(
      {started("A", "calderdale", "stage1", true), started("B", "calderdale", "stage1", true),
       started("X", "bradford", "stage1", true), missed("X", "bradford", "stage1")},
      {closed("A", "calderdale", "stage1", 2), closed("B", "calderdale", "stage1", 4),
       closed("X", "bradford", "stage1", 6)});
  Tally variant = tally_of(
      {started("A", "calderdale", "stage1", true), started("B", "calderdale", "stage1", true),
       missed("B", "calderdale", "stage1"), started("B", "calderdale", "stage2", false),
       started("X", "bradford", "stage1", true), missed("X", "bradford", "stage1")},
      {closed("A", "calderdale", "stage1", 2), closed("B", "calderdale", "stage2", 4),
       closed("X", "bradford", "stage1", 6)});
  StageOrder order{{"calderdale", {"informal", "stage1", "stage2", "stage3"}},
                   {"bradford", {"stage1", "stage2"}}};
};

TEST(WhatifCompare, RowsPerStageInFileOrderThenTheProtocolsTotal) {
  Fixture f;
  const std::vector<Row> rows = compare(f.baseline, f.variant, f.order);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].protocol, "bradford");
  EXPECT_EQ(rows[0].stage, "stage1");
  EXPECT_FALSE(rows[0].differs());
  EXPECT_TRUE(rows[1].total());
  EXPECT_FALSE(rows[1].differs());

  const Row& s1 = rows[2];
  EXPECT_EQ(s1.stage, "stage1");  // informal: reached by none, no row
  EXPECT_EQ(s1.baseline.escalations, 0);
  EXPECT_EQ(s1.variant.escalations, 1);
  EXPECT_EQ(s1.baseline.overdue, 0);
  EXPECT_EQ(s1.variant.overdue, 1);
  EXPECT_EQ(s1.baseline.closed, 2);
  EXPECT_EQ(s1.variant.closed, 1);
  EXPECT_EQ(s1.baseline.median_working_days, 3.0);
  EXPECT_EQ(s1.variant.median_working_days, 2.0);
  EXPECT_TRUE(s1.differs());

  const Row& s2 = rows[3];
  EXPECT_EQ(s2.stage, "stage2");  // only the variant reached it: a row with zeros for the baseline
  EXPECT_EQ(s2.baseline.closed, 0);
  EXPECT_FALSE(s2.baseline.median_working_days.has_value());
  EXPECT_EQ(s2.variant.median_working_days, 4.0);

  const Row& total = rows[4];
  EXPECT_TRUE(total.total());
  EXPECT_EQ(total.variant.escalations, 1);
  EXPECT_EQ(total.variant.overdue, 1);
  EXPECT_EQ(total.baseline.closed, 2);
  EXPECT_EQ(total.variant.closed, 2);
  EXPECT_EQ(total.baseline.median_working_days, 3.0);  // over all stages
  EXPECT_EQ(total.variant.median_working_days, 3.0);
}

TEST(WhatifCompare, StagesMissingFromTheFilesFollowInNameOrder) {
  const Tally t = tally_of({started("A", "p", "zeta", true), started("B", "p", "alpha", true),
                            started("C", "p", "stage1", true)},
                           {});
  const std::vector<Row> rows = compare(t, t, {{"p", {"stage1"}}});
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].stage, "stage1");
  EXPECT_EQ(rows[1].stage, "alpha");
  EXPECT_EQ(rows[2].stage, "zeta");
}

TEST(WhatifFormat, MediansAndChanges) {
  EXPECT_EQ(format_median(std::nullopt), "-");
  EXPECT_EQ(format_median(4.0), "4");
  EXPECT_EQ(format_median(3.5), "3.5");
  EXPECT_EQ(format_change(std::int64_t{3}, std::int64_t{5}), "+2");
  EXPECT_EQ(format_change(std::int64_t{5}, std::int64_t{3}), "-2");
  EXPECT_EQ(format_change(std::int64_t{5}, std::int64_t{5}), "0");
  EXPECT_EQ(format_change(std::optional<double>(3.0), std::optional<double>(2.5)), "-0.5");
  EXPECT_EQ(format_change(std::optional<double>(3.0), std::nullopt), "-");
}

TEST(WhatifRender, TableCsvAndHtmlCarryTheSameFigures) {
  Fixture f;
  Comparison c;
  c.baseline = "config/crp-adapter.json";
  c.variant = "whatif/calderdale-3-days.json";
  c.records = 12;
  c.rows = compare(f.baseline, f.variant, f.order);
  std::ostringstream table, csv, html;
  write_table(table, c);
  write_csv(csv, c);
  write_html(html, c);

  EXPECT_NE(table.str().find("calderdale  stage1"), std::string::npos) << table.str();
  EXPECT_NE(csv.str().find("protocol,stage,baseline_escalations,variant_escalations"),
            std::string::npos);
  // Calderdale Stage 1: escalations 0 -> 1, overdue 0 -> 1, closed 2 -> 1, median 3 -> 2.
  EXPECT_NE(csv.str().find("calderdale,stage1,0,1,0,1,2,1,3,2\r\n"), std::string::npos)
      << csv.str();
  EXPECT_NE(csv.str().find("calderdale,stage2,0,0,0,0,0,1,,4\r\n"), std::string::npos) << csv.str();
  const std::regex row(
      "<tr data-protocol=\"calderdale\" data-stage=\"stage1\" class=\"differs\">.*"
      "<td class=\"baseline-escalations\">0</td><td class=\"variant-escalations\">1</td>"
      "<td class=\"change-escalations\">\\+1</td>.*"
      "<td class=\"baseline-median_working_days\">3</td>"
      "<td class=\"variant-median_working_days\">2</td>");
  EXPECT_TRUE(std::regex_search(html.str(), row)) << html.str();
  EXPECT_NE(html.str().find("<style>"), std::string::npos);  // the board report's stylesheet
  EXPECT_EQ(html.str().find("<script"), std::string::npos);
}

TEST(WhatifRender, AnEmptyHistorySaysSo) {
  Comparison c;
  c.baseline = "a.json";
  c.variant = "b.json";
  std::ostringstream table, csv;
  write_table(table, c);
  write_csv(csv, c);
  EXPECT_NE(table.str().find("no challenge reached a stage"), std::string::npos);
  const std::string lines = csv.str();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 1);  // the header only
}

}  // namespace
}  // namespace crp::whatif
