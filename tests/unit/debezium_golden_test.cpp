// Golden tests of the Debezium connector: every record of a case file maps to
// one line (the canonical event, "dropped", or the DLQ error) and the lines
// must equal tests/connectors/debezium/<case>.golden.jsonl. Mapped events are
// applied to a real engine, so rules that ask whether a challenge is known see
// the state the service would, and the engine's verdict is part of the line.
// CRP_UPDATE_GOLDEN=1 rewrites the golden files (review the diff).
#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "adapter/json/json.h"
#include "connectors/debezium/debezium_source.h"
#include "tests/unit/engine_fixture.h"

namespace crp {
namespace {

const std::string kRoot = CRP_SOURCE_DIR;

Record to_record(const std::string& line) {
  rapidjson::Document d;
  std::string error;
  if (!json::parse(line, d, error)) throw std::runtime_error("bad case line: " + error);
  Record r;
  r.topic = d["topic"].GetString();
  if (d.HasMember("key") && d["key"].IsString()) r.key = d["key"].GetString();
  const auto& v = d["value"];
  // A string is the raw bytes (so a case can hold text that is not JSON);
  // null is a tombstone (Kafka's null value); anything else is serialised.
  if (v.IsString()) {
    r.value.assign(v.GetString(), v.GetStringLength());
  } else if (!v.IsNull()) {
    r.value = json::to_string(v);
  }
  return r;
}

std::string describe(const connectors::SourceResult& result, const Effects& effects) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.StartObject();
  if (result.dropped) {
    w.Key("result"), w.String("dropped");
  } else if (!result.event) {
    w.Key("result"), w.String("dlq");
    w.Key("class"), w.String(result.error.error_class);
    w.Key("message"), w.String(result.error.message);
  } else {
    const InboundEvent& e = *result.event;
    w.Key("result"), w.String("event");
    w.Key("type"), w.String(to_string(e.type));
    w.Key("event_id"), w.String(e.event_id);
    w.Key("occurred_at"), w.String(format_iso8601(e.occurred_at));
    w.Key("challenge_id"), w.String(e.challenge_id);
    w.Key("case_id"), w.String(e.case_id);
    w.Key("protocol"), w.String(e.protocol);
    auto opt = [&](const char* k, const std::string& v) {
      if (!v.empty()) w.Key(k), w.String(v);
    };
    opt("stage", e.stage);
    opt("to_stage", e.to_stage);
    opt("agency", e.agency);
    opt("approved_by", e.approved_by);
    opt("duty", e.duty);
    if (e.immediate_risk) w.Key("immediate_risk"), w.Bool(true);
    if (e.meeting_at) w.Key("meeting_at"), w.String(format_iso8601(*e.meeting_at));
    w.Key("source_system"), w.String(e.source_system);
    std::string engine = "applied";
    for (const auto& effect : effects) {
      if (const auto* dlq = std::get_if<DlqDecision>(&effect.what))
        engine = "rejected: " + dlq->error_class;
    }
    w.Key("engine"), w.String(engine);
  }
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

void run_case(const std::string& name, const std::string& mapping, const std::string& input) {
  connectors::debezium::DebeziumSource source(
      connectors::debezium::load_mapping_file(kRoot + "/config/connectors/" + mapping));
  Engine engine(testing::example_config().protocols);
  std::vector<std::string> actual;
  for (const std::string& line : lines_of(kRoot + "/" + input)) {
    const Record record = to_record(line);
    connectors::SourceResult result = source.map(record, engine);
    Effects effects;
    if (result.event) engine.apply(*result.event, result.event->occurred_at, effects);
    actual.push_back(describe(result, effects));
  }
  const std::string golden = kRoot + "/tests/connectors/debezium/" + name + ".golden.jsonl";
  if (std::getenv("CRP_UPDATE_GOLDEN")) {
    // Writing then comparing always passes: never under ctest (tests/CMakeLists.txt).
    ASSERT_EQ(std::getenv("CRP_UNDER_CTEST"), nullptr)
        << "CRP_UPDATE_GOLDEN refused under ctest: run the test binary by hand to update "
        << golden;
    std::ofstream out(golden);
    for (const auto& l : actual) out << l << "\n";
  }
  const std::vector<std::string> expected = lines_of(golden);
  ASSERT_EQ(actual.size(), expected.size()) << golden;
  for (std::size_t i = 0; i < actual.size(); ++i)
    EXPECT_EQ(actual[i], expected[i]) << golden << " line " << i + 1;
}

TEST(DebeziumGolden, LcsOnSqlServerWithSchemaWrapper) {
  run_case("lcs-sqlserver", "lcs-debezium.json", "config/samples/debezium-lcs-sqlserver.jsonl");
}

TEST(DebeziumGolden, MosaicOnOracleWithoutSchemaWrapper) {
  run_case("mosaic-oracle", "mosaic-debezium.json", "config/samples/debezium-mosaic-oracle.jsonl");
}

TEST(DebeziumGolden, MalformedAndUnmappablePayloads) {
  run_case("malformed", "lcs-debezium.json", "tests/connectors/debezium/malformed.in.jsonl");
}

}  // namespace
}  // namespace crp
