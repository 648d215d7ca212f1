// The closed-challenge fact: produced once, in the same output batch as
// challenge.closed, with the figures the board report needs and nothing personal.
#include <gtest/gtest.h>

#include <sstream>

#include "adapter/json/json.h"
#include "adapter/json/schema_registry.h"
#include "adapter/runtime/replay.h"
#include "connectors/facts/challenge_fact.h"
#include "connectors/facts/fact_reader.h"
#include "tests/unit/engine_fixture.h"

namespace crp {
namespace {

using connectors::facts::ChallengeFact;

std::string record(const std::string& protocol, const std::string& id, int n,
                   const std::string& type, const std::string& when,
                   const std::string& extra = "") {
  return R"({"topic":"crp.commands","key":")" + id + R"(","value":{"type":")" + type +
         R"(","event_id":")" + id + "-" + std::to_string(n) + R"(","occurred_at":")" + when +
         R"(","challenge_id":")" + id + R"(","case_id":"LCS-1","protocol":")" + protocol + "\"" +
         extra + "}}\n";
}

struct Replayed {
  std::vector<std::string> lines;  // every output line
  std::vector<ChallengeFact> facts;
  std::vector<std::string> fact_values;
};

Replayed run(const std::string& input, const std::string& until = "2027-12-31T00:00:00Z") {
  std::istringstream in(input);
  std::ostringstream out, err;
  replay(testing::example_config(), in, out, err, parse_iso8601(until));
  Replayed r;
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);) {
    r.lines.push_back(line);
    rapidjson::Document d;
    std::string error;
    EXPECT_TRUE(json::parse(line, d, error)) << error;
    if (std::string(d["topic"].GetString()) != "crp.facts") continue;
    if (std::string(d["value"]["fact"].GetString()) != "challenge.closed") continue;
    EXPECT_EQ(std::string(d["key"].GetString()),
              std::string(d["value"]["challenge_id"].GetString()));
    auto violation = json::validate("outbound/fact.schema.json", d["value"]);
    EXPECT_FALSE(violation) << violation->document_pointer << ": " << violation->message;
    r.fact_values.push_back(json::to_string(d["value"]));
    auto fact = connectors::facts::from_json(r.fact_values.back(), error);
    EXPECT_TRUE(fact) << error;
    if (fact) r.facts.push_back(*fact);
  }
  return r;
}

TEST(ChallengeFact, RotherhamOverChristmasMissedFormAndResponseThenWithdrawn) {
  // Raised Thu 17 Dec 2026: the Stage 1 form is due in 3 working days (22 Dec),
  // the response in 10 (5 Jan 2027, skipping 25 and 28 Dec and 1 Jan).
  const std::string id = "ROT-F1";
  Replayed r = run(
      record(
          "rotherham", id, 1, "challenge.raised", "2026-12-17T10:00:00Z",
          R"(,"agency":"health_visiting","categories":["core_groups_not_held"],)"
          R"("contacts":{"conference_chair":{"name":"Jane Example","email":"jane@example.org"}})") +
      record("rotherham", id, 2, "challenge.withdrawn", "2027-01-07T10:00:00Z"));
  ASSERT_EQ(r.facts.size(), 1u);
  const ChallengeFact& f = r.facts[0];
  EXPECT_EQ(f.outcome, "withdrawn");
  EXPECT_EQ(f.starting_stage, "stage1");
  EXPECT_EQ(f.highest_stage, "stage1");
  EXPECT_EQ(f.highest_stage_label, "Stage 1");
  EXPECT_EQ(f.categories, std::vector<std::string>{"core_groups_not_held"});
  EXPECT_EQ(f.agency, "health");  // the code of "health_visiting" (config/agencies.json)
  EXPECT_EQ(f.response.missed, 1);
  EXPECT_EQ(f.duty.missed, 1);
  EXPECT_EQ(f.deadlines_met(), 0);
  EXPECT_EQ(f.opened_on, "2026-12-17");
  EXPECT_EQ(f.closed_on, "2027-01-07");
  EXPECT_EQ(f.calendar_days, 21);
  EXPECT_EQ(f.working_days, 12);  // 18, 21-24 Dec; 29-31 Dec; 4-7 Jan
  EXPECT_EQ(r.fact_values[0].find("Jane"), std::string::npos) << "no names in facts";
  EXPECT_EQ(r.fact_values[0].find("jane@"), std::string::npos) << "no contact details in facts";
  // Right after its challenge.closed event, in the same batch.
  for (std::size_t i = 0; i < r.lines.size(); ++i) {
    if (r.lines[i].find("\"type\":\"challenge.closed\"") != std::string::npos) {
      ASSERT_LT(i + 1, r.lines.size());
      EXPECT_NE(r.lines[i + 1].find("\"topic\":\"crp.facts\""), std::string::npos);
    }
  }
}

TEST(ChallengeFact, CalderdaleClimbsToStage3WithinTheOverallLimit) {
  const std::string id = "CAL-F1";
  Replayed r =
      run(record("calderdale", id, 1, "challenge.raised", "2027-02-01T10:00:00Z",
                 R"(,"stage":"stage1","agency":"Primary School","immediate_risk":false)") +
          record("calderdale", id, 2, "challenge.response_rejected", "2027-02-02T10:00:00Z") +
          record("calderdale", id, 3, "challenge.response_rejected", "2027-02-03T10:00:00Z") +
          record("calderdale", id, 4, "challenge.response_accepted", "2027-02-04T10:00:00Z"));
  ASSERT_EQ(r.facts.size(), 1u);
  const ChallengeFact& f = r.facts[0];
  EXPECT_EQ(f.stages_visited, (std::vector<std::string>{"stage1", "stage2", "stage3"}));
  EXPECT_EQ(f.highest_stage, "stage3");
  EXPECT_EQ(f.escalations, 2);
  EXPECT_EQ(f.outcome, "resolved");
  EXPECT_EQ(f.response.met, 3);
  EXPECT_EQ(f.response.missed, 0);
  EXPECT_EQ(f.process.met, 1);  // the 15 working-day cap
  EXPECT_EQ(f.deadlines_missed(), 0);
  EXPECT_EQ(f.working_days, 3);
}

TEST(ChallengeFact, CalderdaleAutomaticEscalationsAreMissedDeadlines) {
  // Calderdale stages "will progress" when their 5 working days pass.
  const std::string id = "CAL-F2";
  Replayed r = run(record("calderdale", id, 1, "challenge.raised", "2027-03-01T10:00:00Z",
                          R"(,"stage":"stage1")") +
                   record("calderdale", id, 2, "challenge.resolved", "2027-03-20T10:00:00Z"));
  ASSERT_EQ(r.facts.size(), 1u);
  const ChallengeFact& f = r.facts[0];
  EXPECT_EQ(f.stages_visited, (std::vector<std::string>{"stage1", "stage2", "stage3"}));
  EXPECT_EQ(f.response.missed, 2);
  EXPECT_EQ(f.response.met, 1);  // Stage 3 was resolved before it fell due
  EXPECT_EQ(f.escalations, 2);
}

TEST(ChallengeFact, NoFactWhileOpenNorForAStepDownWatchThatEndedWell) {
  Replayed open = run(record("rotherham", "ROT-F2", 1, "challenge.raised", "2027-03-01T10:00:00Z"));
  EXPECT_TRUE(open.facts.empty());
  Replayed watch =
      run(record("rotherham", "ROT-F3", 1, "cin.step_down_agreed", "2027-02-25T13:00:00Z") +
          record("rotherham", "ROT-F3", 2, "cin.step_down_checked", "2027-04-09T10:00:00Z",
                 R"(,"cin_plan_evidenced":true)"));
  EXPECT_TRUE(watch.facts.empty());
  bool closed = false;
  for (const auto& l : watch.lines)
    closed = closed || l.find("\"type\":\"challenge.closed\"") != std::string::npos;
  EXPECT_TRUE(closed) << "the watch did close; it is just not a challenge the board counts";
}

TEST(ChallengeFact, JsonRoundTripAndRejectsWhatIsNotAFact) {
  ChallengeFact f;
  f.fact_id = "C1:9";
  f.challenge_id = "C1";
  f.protocol = "walsall";
  f.source_system = "mosaic";
  f.outcome = "exhausted";
  f.opened_on = "2027-01-01";
  f.closed_on = "2027-01-02";
  f.starting_stage = f.highest_stage = "stage5";
  f.stages_visited = {"stage5"};
  f.duty = {2, 1};
  std::string error;
  auto back = connectors::facts::from_json(connectors::facts::to_json(f), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->duty.met, 2);
  EXPECT_EQ(back->deadlines_missed(), 1);
  EXPECT_EQ(connectors::facts::to_json(*back), connectors::facts::to_json(f));

  EXPECT_FALSE(connectors::facts::from_json("{\"fact\":\"challenge.closed\"}", error));
  EXPECT_NE(error.find("closed_v1"), std::string::npos) << error;
  std::string bad_total = connectors::facts::to_json(f);
  bad_total.replace(bad_total.find("\"deadlines_missed\":1"), 20, "\"deadlines_missed\":7");
  EXPECT_FALSE(connectors::facts::from_json(bad_total, error));
  EXPECT_FALSE(connectors::facts::from_json("not json", error));

  // No integer wraps: 3000000000 is refused, never read as -1294967296.
  std::string huge = connectors::facts::to_json(f);
  huge.replace(huge.find("\"working_days_to_close\":0"), 25,
               "\"working_days_to_close\":3000000000");
  connectors::facts::FactError e;
  EXPECT_FALSE(connectors::facts::read_fact(huge, e));
  EXPECT_EQ(e.kind, "schema");

  // A version 1 fact (with case_id, free-text agency) is still read: case_id
  // dropped, the agency read as a code.
  std::string v1 = connectors::facts::to_json(f);
  v1.replace(v1.find("\"fact_version\":2,\"fact_id\":\"C1:9\","), 34, "");
  v1.replace(v1.find("\"agency\":\"\""), 11, "\"agency\":\"Primary School\",\"case_id\":\"LCS-1\"");
  auto old = connectors::facts::from_json(v1, error);
  ASSERT_TRUE(old) << error << " " << v1;
  EXPECT_EQ(old->version, 1);
  EXPECT_EQ(old->agency, "other");
  EXPECT_EQ(connectors::facts::to_json(*old).find("LCS-1"), std::string::npos);
}

}  // namespace
}  // namespace crp
