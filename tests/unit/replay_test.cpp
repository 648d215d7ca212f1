#include "adapter/runtime/replay.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "adapter/json/json.h"
#include "adapter/json/schema_registry.h"
#include "tests/unit/engine_fixture.h"

namespace crp {
namespace {

std::string record(const std::string& value) {
  return R"({"topic":"crp.commands","key":"C1","headers":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},"value":)" +
         value + "}\n";
}

TEST(Replay, BadInputIsReportedAndDeadLetteredNeverACrash) {
  std::istringstream in(
      "this is not a record\n" + record(R"("{not json")") +
      record(R"({"type":"challenge.raised","event_id":"e1"})") +
      record(
          R"({"type":"challenge.exploded","event_id":"e1","occurred_at":"2026-12-17T10:00:00Z","challenge_id":"C1","case_id":"K1","protocol":"rotherham"})") +
      record(
          R"({"type":"challenge.raised","event_id":"e2","occurred_at":"2026-12-17T10:00:00Z","challenge_id":"C1","case_id":"K1","protocol":"rotherham"})"));
  std::ostringstream out, err;
  ReplayStats stats = replay(testing::example_config(), in, out, err, std::nullopt);
  EXPECT_EQ(stats.records, 5u);
  EXPECT_EQ(stats.dead_lettered, 4u);
  const std::string text = out.str();
  EXPECT_NE(text.find("crp.InvalidRecord"), std::string::npos);
  EXPECT_NE(text.find("crp.NotJson"), std::string::npos);
  EXPECT_NE(text.find("missing required property occurred_at"), std::string::npos) << text;
  EXPECT_NE(text.find("/type: must be one of"), std::string::npos) << text;
  EXPECT_NE(text.find("\"__connect.errors.topic\":\"crp.commands\""), std::string::npos);
  EXPECT_NE(text.find("challenge.stage_started"), std::string::npos);
  const std::string problems = err.str();
  EXPECT_EQ(std::count(problems.begin(), problems.end(), '\n'), 4) << problems;
}

TEST(Replay, CopiesTraceparentToOutputsAndPrintsEscalationsFirst) {
  std::istringstream in(record(
      R"({"type":"challenge.raised","event_id":"e2","occurred_at":"2026-12-17T10:00:00Z","challenge_id":"C1","case_id":"K1","protocol":"rotherham"})"));
  std::ostringstream out, err;
  replay(testing::example_config(), in, out, err, std::nullopt);
  std::string first = out.str().substr(0, out.str().find('\n'));
  EXPECT_NE(first.find(R"("topic":"crp.escalations","key":"C1","at":"2026-12-17T10:00:00Z")"),
            std::string::npos)
      << first;
  EXPECT_NE(first.find(R"("due_at":"2027-01-05T17:00:00Z")"), std::string::npos) << first;
}

TEST(Replay, UntilFiresTimersAndOutputIsIdenticalOnTwoRuns) {
  const std::string input = record(
      R"({"type":"challenge.raised","event_id":"e1","occurred_at":"2027-01-04T09:00:00Z","challenge_id":"C1","case_id":"K1","protocol":"calderdale","stage":"stage1"})");
  auto once = [&] {
    std::istringstream in(input);
    std::ostringstream out, err;
    replay(testing::example_config(), in, out, err, parse_iso8601("2027-02-01T00:00:00Z"));
    return out.str();
  };
  std::string a = once();
  EXPECT_EQ(a, once());
  // "the practice dispute will progress to stage 2" ... "to stage 3".
  EXPECT_NE(a.find(R"("type":"challenge.escalated")"), std::string::npos);
  EXPECT_NE(a.find(R"("reason":"no_response")"), std::string::npos);
  EXPECT_NE(a.find(R"("type":"process.overdue")"), std::string::npos);
}

// Every escalation value the engine produces for the demo sample conforms to
// schemas/outbound/escalation.schema.json.
TEST(Replay, EscalationValuesConformToTheOutboundSchema) {
  std::ifstream in(std::string(CRP_SOURCE_DIR) + "/config/samples/canonical-demo.jsonl");
  std::ostringstream out, err;
  replay(testing::example_config(), in, out, err, parse_iso8601("2027-03-01T00:00:00Z"));
  std::istringstream lines(out.str());
  std::string line;
  int checked = 0;
  while (std::getline(lines, line)) {
    rapidjson::Document d;
    std::string error;
    ASSERT_TRUE(json::parse(line, d, error)) << error;
    if (std::string(d["topic"].GetString()) != "crp.escalations") continue;
    auto v = json::validate("outbound/escalation.schema.json", d["value"]);
    EXPECT_FALSE(v) << line << "\n" << (v ? v->document_pointer + ": " + v->message : "");
    ++checked;
  }
  EXPECT_GT(checked, 10);
}

}  // namespace
}  // namespace crp
