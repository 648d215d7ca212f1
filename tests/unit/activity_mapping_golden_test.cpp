// Golden tests of case-activity mapping (issue 19) from LCS, Mosaic and
// Debezium: every record of a case file maps to one line, the canonical
// document the connector built (every field the record gave, whatever the
// engine keeps of it), "dropped", or the dead letter's class and message.
// Every document must also pass the canonical schema. The files are read by
// hand against the source records (tests/connectors/<system>/activity*.in.jsonl).
// CRP_UPDATE_GOLDEN=1 rewrites the golden files (review the diff).
#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <fstream>

#include "adapter/json/json.h"
#include "adapter/json/schema_registry.h"
#include "connectors/debezium/debezium_source.h"
#include "connectors/lcs/lcs_activity.h"
#include "connectors/mosaic/mosaic_activity.h"
#include "connectors/stage_mapping.h"
#include "tests/unit/engine_fixture.h"

namespace crp {
namespace {

const std::string kRoot = CRP_SOURCE_DIR;

std::string write(const rapidjson::Value& v) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  v.Accept(w);
  return std::string(b.GetString(), b.GetSize());
}

std::string describe(const connectors::SourceResult& r) {
  if (r.dropped) return R"({"result":"dropped"})";
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("result", "dlq", a);
  d.AddMember("class", rapidjson::Value(r.error.error_class.c_str(), a), a);
  d.AddMember("message", rapidjson::Value(r.error.message.c_str(), a), a);
  return write(d);
}

std::string describe(const rapidjson::Document& canonical) {
  if (auto v = json::validate("inbound/canonical.schema.json", canonical)) {
    ADD_FAILURE() << "not canonical: " << v->document_pointer << ": " << v->message << "\n"
                  << write(canonical);
  }
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("result", "event", a);
  d.AddMember("canonical", rapidjson::Value(canonical, a), a);
  return write(d);
}

struct Line {
  std::string key, value;
};

std::vector<Line> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<Line> lines;
  for (std::string text; std::getline(in, text);) {
    if (text.empty()) continue;
    rapidjson::Document d;
    std::string error;
    if (!json::parse(text, d, error)) throw std::runtime_error("bad case line: " + error);
    const auto& v = d["value"];
    lines.push_back({d["key"].GetString(), v.IsString()
                                               ? std::string(v.GetString(), v.GetStringLength())
                                               : json::to_string(v)});
  }
  return lines;
}

void compare(const std::string& golden, const std::vector<std::string>& actual) {
  if (std::getenv("CRP_UPDATE_GOLDEN")) {
    // Writing then comparing always passes: never under ctest (tests/CMakeLists.txt).
    ASSERT_EQ(std::getenv("CRP_UNDER_CTEST"), nullptr)
        << "CRP_UPDATE_GOLDEN refused under ctest: run the test binary by hand to update "
        << golden;
    std::ofstream out(golden);
    for (const auto& l : actual) out << l << "\n";
  }
  std::ifstream in(golden);
  std::vector<std::string> expected;
  for (std::string l; std::getline(in, l);) expected.push_back(l);
  ASSERT_EQ(actual.size(), expected.size()) << golden;
  for (std::size_t i = 0; i < actual.size(); ++i)
    EXPECT_EQ(actual[i], expected[i]) << golden << " line " << i + 1;
}

// The front every case-system record passes (the connector's map_timed_record),
// then the activity mapping; records whose labels are no activity are dropped.
template <typename Activity>
void run_case_system(const Activity& activity, const std::string& system, const std::string& name) {
  const std::string base = kRoot + "/tests/connectors/" + system + "/" + name;
  std::vector<std::string> actual;
  for (const Line& line : lines_of(base + ".in.jsonl")) {
    rapidjson::Document doc;
    if (auto bad = connectors::parse_and_validate(system, line.value,
                                                  "inbound/" + system + ".schema.json", doc)) {
      actual.push_back(describe(*bad));
      continue;
    }
    const std::optional<Instant> at = parse_iso8601(connectors::str(doc, "occurred_at"));
    ASSERT_TRUE(at) << line.value;
    auto mapped = activity.map(doc, *at);
    if (!mapped) {
      actual.push_back(describe(connectors::SourceResult::drop()));
    } else if (auto* e = std::get_if<connectors::activity::ActivityEvent>(&*mapped)) {
      actual.push_back(describe(connectors::activity::to_canonical(*e)));
    } else {
      actual.push_back(describe(std::get<connectors::SourceResult>(*mapped)));
    }
  }
  compare(base + ".canonical.jsonl", actual);
}

rapidjson::Document options(const char* json_text) {
  rapidjson::Document d;
  d.Parse(json_text);
  return d;
}

const ProtocolSet& protocols() {
  return *testing::example_config().protocols;
}

TEST(ActivityMappingGolden, Mosaic) {
  const auto o = options(R"({"protocols": ["walsall"]})");
  const connectors::mosaic::MosaicActivity activity(protocols(), o, "test", "/inputs/0");
  run_case_system(activity, "mosaic", "activity");
  run_case_system(activity, "mosaic", "activity_malformed");
}

TEST(ActivityMappingGolden, Lcs) {
  const auto o = options(R"({"activity_protocol": "bradford"})");
  const connectors::lcs::LcsActivity activity(protocols(), o, "test", "/inputs/0");
  run_case_system(activity, "lcs", "activity");
  run_case_system(activity, "lcs", "activity_malformed");
}

TEST(ActivityMappingGolden, LcsServingSeveralProtocolsNeedsActivityProtocol) {
  const auto o = options(R"({})");  // the example config loads three LCS protocols
  const connectors::lcs::LcsActivity activity(protocols(), o, "test", "/inputs/0");
  rapidjson::Document doc;
  doc.Parse(
      R"({"event_id": "E1", "event_type": "form.recorded", "occurred_at": "2027-04-01T09:00:00Z",
                "person_id": "LCS-1", "form": {"form_id": "F1", "form_type": "Core Group Meeting"}})");
  auto mapped = activity.map(doc, testing::at("2027-04-01T09:00:00Z"));
  ASSERT_TRUE(mapped);
  const auto* r = std::get_if<connectors::SourceResult>(&*mapped);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error.message,
            "lcs event /form/form_type: an activity record, but the input serves several "
            "protocols: name its activity_protocol");
}

TEST(ActivityMappingGolden, UnknownMeaningIsAConfigError) {
  const auto o = options(R"({"activity_forms": {"Core Group Minutes": "core_group_minutes"}})");
  EXPECT_THROW(connectors::lcs::LcsActivity(protocols(), o, "test", "/inputs/0"),
               json::ConfigError);
}

void run_debezium(const std::string& mapping, const std::string& input, const std::string& golden) {
  const connectors::debezium::DebeziumSource source(
      connectors::debezium::load_mapping_file(kRoot + "/config/connectors/" + mapping));
  const Engine engine(testing::example_config().protocols);
  std::vector<std::string> actual;
  for (const Line& line : lines_of(kRoot + "/" + input)) {
    Record record;
    record.key = line.key;
    record.value = line.value;
    rapidjson::Document canonical;
    const connectors::SourceResult r = source.map(record, engine, &canonical);
    // A row of a challenge table is the Debezium golden test's (debezium_golden_test).
    if (canonical.IsObject() && canonical.HasMember("challenge_id")) continue;
    actual.push_back(canonical.IsObject() ? describe(canonical) : describe(r));
  }
  compare(kRoot + "/tests/connectors/debezium/" + golden, actual);
}

TEST(ActivityMappingGolden, DebeziumLcs) {
  run_debezium("lcs-debezium.json", "tests/connectors/debezium/lcs-activity.in.jsonl",
               "lcs-activity.canonical.jsonl");
}

TEST(ActivityMappingGolden, DebeziumMosaic) {
  run_debezium("mosaic-debezium.json", "tests/connectors/debezium/mosaic-activity.in.jsonl",
               "mosaic-activity.canonical.jsonl");
}

}  // namespace
}  // namespace crp
