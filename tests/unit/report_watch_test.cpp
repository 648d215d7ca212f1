// Watch findings on crp.facts and in the board report (issue 19 item 5): one
// watch.finding fact per breach and per answer, with codes, dates and the team
// only; the report counts them by rule, team and month under the same
// small-number suppression as every other count.
#include <gtest/gtest.h>

#include <sstream>

#include "adapter/json/json.h"
#include "adapter/json/schema_registry.h"
#include "adapter/runtime/report/aggregate.h"
#include "adapter/runtime/report/csv.h"
#include "adapter/runtime/report/html.h"
#include "connectors/facts/fact_reader.h"
#include "connectors/facts/watch_fact.h"
#include "tests/unit/engine_fixture.h"

namespace crp {
namespace {

using connectors::facts::StageFact;
using connectors::facts::StageFactKind;

Effect plan_effect(std::uint64_t seq) {
  Effect e;
  e.plan_id = "PLAN-4711";
  e.case_id = "LCS-1";
  e.protocol = "walsall";
  e.seq = seq;
  return e;
}

LifecycleEvent watch_event(const std::string& type, const std::string& when) {
  LifecycleEvent ev;
  ev.type = type;
  ev.rule = "report_shared_before_conference";
  ev.finding_id = "PLAN-4711/report_shared_before_conference/1";
  ev.conference_id = "CONF-1";
  ev.occurred_at = testing::at(when);
  return ev;
}

const ProtocolRuntime& walsall() {
  return *testing::example_config().protocols->find("walsall");
}

TEST(WatchFact, EachBreachAndAnswerIsAFactWithNothingThatNamesThePlan) {
  WatchedPlan plan;
  plan.id = "PLAN-4711";
  plan.case_id = "LCS-1";
  plan.team = "cp_north";
  plan.locality = "North";
  const std::vector<std::pair<std::string, std::string>> cases{
      {"watch.breach", "found"},
      {"watch.suggestion_dismissed", "dismissed"},
      {"watch.suggestion_taken_up", "taken_up"}};
  std::uint64_t seq = 1;
  for (const auto& [type, status] : cases) {
    // 23:30 UTC on 31 March 2027 is 00:30 on 1 April in London (BST).
    const auto values = connectors::facts::watch_facts_of(
        plan_effect(seq++), watch_event(type, "2027-03-31T23:30:00Z"), &plan, walsall());
    ASSERT_EQ(values.size(), 1u) << type;
    const std::string& v = values.front();
    for (const char* secret : {"PLAN-4711", "LCS-1", "CONF-1", "North\"", "challenge_id"})
      EXPECT_EQ(v.find(secret), std::string::npos) << secret << " in " << v;
    rapidjson::Document d;
    std::string error;
    ASSERT_TRUE(json::parse(v, d, error)) << error;
    auto violation = json::validate("outbound/fact.schema.json", d);
    EXPECT_FALSE(violation) << violation->document_pointer << ": " << violation->message;
    connectors::facts::FactError fe;
    auto fact = connectors::facts::read_fact(v, fe);
    ASSERT_TRUE(fact) << fe.message;
    const auto& f = std::get<StageFact>(*fact);
    EXPECT_EQ(f.kind, StageFactKind::watch_finding);
    EXPECT_EQ(f.protocol, "walsall");
    EXPECT_EQ(f.rule, "report_shared_before_conference");
    EXPECT_EQ(f.team, "cp_north");
    EXPECT_EQ(f.status, status);
    EXPECT_EQ(f.occurred_on, "2027-04-01");
    EXPECT_TRUE(f.challenge_id.empty());
  }
}

TEST(WatchFact, TheFactIdIsStableAndDistinctWithoutThePlanId) {
  const std::string a = connectors::facts::watch_fact_id(plan_effect(3));
  EXPECT_EQ(a, connectors::facts::watch_fact_id(plan_effect(3)));
  EXPECT_NE(a, connectors::facts::watch_fact_id(plan_effect(4)));
  EXPECT_EQ(a.find("PLAN"), std::string::npos);
  EXPECT_EQ(a.size(), std::string("watch:").size() + 32);
}

TEST(WatchFact, OtherEventsAndAnUnknownPlanGiveNoTeam) {
  EXPECT_TRUE(connectors::facts::watch_facts_of(
                  plan_effect(1), watch_event("watch.summary_sent", "2027-03-01T10:00:00Z"),
                  nullptr, walsall())
                  .empty());
  const auto values = connectors::facts::watch_facts_of(
      plan_effect(1), watch_event("watch.breach", "2027-03-01T10:00:00Z"), nullptr, walsall());
  ASSERT_EQ(values.size(), 1u);
  EXPECT_NE(values.front().find(R"("team":"")"), std::string::npos);
}

namespace rep = crp::report;

StageFact finding(const std::string& rule, const std::string& team, const std::string& on,
                  const std::string& status = "found") {
  static int n = 0;
  StageFact f;
  f.kind = StageFactKind::watch_finding;
  f.fact_id = "watch:" + std::to_string(++n);
  f.protocol = "walsall";
  f.rule = rule;
  f.team = team;
  f.status = status;
  f.occurred_on = on;
  f.occurred_at = testing::at(on + "T12:00:00Z");
  return f;
}

std::vector<rep::ProtocolInfo> protocols() {
  return {{"walsall",
           "Walsall",
           {},
           {{"core_group_frequency", "Core group held in the required frequency"},
            {"report_shared_before_conference", "Report shared before the conference"}}}};
}

std::vector<StageFact> sample() {
  std::vector<StageFact> facts;
  for (int i = 0; i < 6; ++i)
    facts.push_back(
        finding("core_group_frequency", "cp_north", "2027-04-0" + std::to_string(i + 1)));
  facts.push_back(finding("report_shared_before_conference", "cp_south", "2027-05-03"));
  facts.push_back(finding("report_shared_before_conference", "", "2027-05-04"));
  facts.push_back(finding("core_group_frequency", "cp_north", "2027-05-05", "dismissed"));
  facts.push_back(finding("core_group_frequency", "cp_north", "2027-05-06", "taken_up"));
  facts.push_back(finding("child_seen", "cp_north", "2027-03-31"));  // before the period
  return facts;
}

TEST(ReportWatch, FindingsByRuleTeamAndMonthInThePeriod) {
  const rep::Period period{"2027-04-01", "2027-06-30"};
  const auto w = rep::watch_findings(sample(), period, protocols());
  EXPECT_EQ(w.found, 8);
  EXPECT_EQ(w.dismissed, 1);
  EXPECT_EQ(w.taken_up, 1);
  ASSERT_EQ(w.by_rule.size(), 2u);
  EXPECT_EQ(w.by_rule[0].key, "core_group_frequency");
  EXPECT_EQ(w.by_rule[0].label, "Core group held in the required frequency");
  EXPECT_EQ(w.by_rule[0].value, 6);
  EXPECT_EQ(w.by_rule[1].value, 2);
  ASSERT_EQ(w.by_team.size(), 3u);
  EXPECT_EQ(w.by_team[0].label, "(no team recorded)");
  EXPECT_EQ(w.by_team[1].key, "cp_north");
  EXPECT_EQ(w.by_team[1].value, 6);
  ASSERT_EQ(w.months.size(), 2u);
  EXPECT_EQ(w.months[1].month, "2027-05");
  EXPECT_EQ(w.months[1].found, 2);
  EXPECT_EQ(w.months[1].dismissed, 1);
  EXPECT_EQ(w.months[1].taken_up, 1);

  // A finding opens no challenge: nothing is open or overdue because of it.
  const auto d = rep::aggregate({}, sample(), period, protocols());
  EXPECT_EQ(d.open_at_end, 0);
  EXPECT_EQ(d.watch.found, 8);
}

TEST(ReportWatch, SummaryCsvSuppressesSmallCountsAndIsUnchangedWithoutFindings) {
  const rep::Period period{"2027-04-01", "2027-06-30"};
  std::ostringstream without;
  rep::write_summary_csv(without, rep::aggregate({}, {}, period, protocols()));
  EXPECT_EQ(without.str().find("watch"), std::string::npos);

  std::ostringstream csv;
  rep::write_summary_csv(csv, rep::aggregate({}, sample(), period, protocols()));
  const std::string s = csv.str();
  EXPECT_NE(s.find("watch,found,Watch findings,8\r\n"), std::string::npos) << s;
  EXPECT_NE(s.find("watch,dismissed,Watch findings dismissed,<5\r\n"), std::string::npos);
  // 2 of 8 would be recoverable from the total: the 6 beside it is hidden too.
  EXPECT_NE(s.find("watch_by_rule,core_group_frequency,Core group held in the required "
                   "frequency,x\r\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("watch_by_rule,report_shared_before_conference,Report shared before the "
                   "conference,<5\r\n"),
            std::string::npos);
  // Two small team counts beside 6: both hidden, so neither is recoverable from 8.
  EXPECT_NE(s.find("watch_by_team,cp_south,cp_south,<5\r\n"), std::string::npos) << s;
  EXPECT_EQ(s.find("watch_by_team,cp_north,cp_north,6\r\n") != std::string::npos ||
                s.find("watch_by_team,cp_north,cp_north,x\r\n") != std::string::npos,
            true);
  EXPECT_EQ(s.find("LCS"), std::string::npos);
}

TEST(ReportWatch, HtmlSectionOnlyWithFindings) {
  const rep::Period period{"2027-04-01", "2027-06-30"};
  std::ostringstream without, with;
  rep::write_html(without, rep::aggregate({}, {}, period, protocols()));
  EXPECT_EQ(without.str().find("chart-watch"), std::string::npos);
  rep::write_html(with, rep::aggregate({}, sample(), period, protocols()));
  const std::string h = with.str();
  EXPECT_NE(h.find("<h2>Watch findings</h2>"), std::string::npos);
  EXPECT_NE(h.find("Core group held in the required frequency"), std::string::npos);
  EXPECT_NE(h.find("<tr data-month=\"2027-05\">"), std::string::npos);
  EXPECT_NE(h.find("<tr data-team=\"cp_north\">"), std::string::npos);
}

}  // namespace
}  // namespace crp
