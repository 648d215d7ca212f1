// The Debezium connector's contract beyond the golden files: what is dropped
// before a parse, stable event ids, and mapping files that refuse to load.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "adapter/json/json.h"
#include "connectors/debezium/debezium_source.h"
#include "connectors/debezium/envelope.h"
#include "tests/unit/engine_fixture.h"

namespace crp::connectors::debezium {
namespace {

const std::string kRoot = CRP_SOURCE_DIR;

Mapping mapping_from(const std::string& text) {
  rapidjson::Document d;
  std::string error;
  if (!json::parse(text, d, error)) throw std::runtime_error(error);
  return load_mapping(d, "test-mapping.json");
}

const char* kMapping = R"({"tables":[{"source":{"schema":"dbo","table":"CHALLENGE"},
  "challenge_id":{"column":"REF"},"case_id":{"column":"PERSON"},"protocol":{"constant":"rotherham"},
  "occurred_at":{"column":"AT","format":"epoch_ms"},
  "rules":[{"name":"raised","when":{"op":["c"]},"event":"challenge.raised"},
           {"name":"withdrawn","when":{"op":["u"],"changed":{"column":"STATUS","to":["X"]}},"event":"challenge.withdrawn"}]}]})";

Record record(const std::string& value) {
  Record r;
  r.topic = "crp.cdc";
  r.value = value;
  return r;
}

std::string change(const std::string& table, const std::string& op, const std::string& before,
                   const std::string& after) {
  return R"({"before":)" + before + R"(,"after":)" + after +
         R"(,"source":{"connector":"sqlserver","db":"LIVE","schema":"dbo","table":")" + table +
         R"(","ts_ms":1800000000000,"change_lsn":"00000031:00000a20:0002","event_serial_no":1},"op":")" +
         op + R"("})";
}

TEST(DebeziumEnvelope, FindsSourceAndOpInBothForms) {
  const std::string plain = change("CHALLENGE", "c", "null", R"({"REF":"C1"})");
  Envelope e = scan_envelope(plain);
  ASSERT_EQ(e.kind, Envelope::Kind::change);
  EXPECT_FALSE(e.wrapped);
  EXPECT_TRUE(e.table.equals("CHALLENGE"));
  EXPECT_TRUE(e.schema_name.equals("dbo"));
  EXPECT_TRUE(e.op.equals("c"));
  EXPECT_EQ(e.after, R"({"REF":"C1"})");

  // The envelope's views point into the record: keep it alive while they are read.
  const std::string wrapped =
      R"({"schema":{"type":"struct","fields":[{"field":"source"}]},"payload":)" + plain + "}";
  Envelope w = scan_envelope(wrapped);
  ASSERT_EQ(w.kind, Envelope::Kind::change);
  EXPECT_TRUE(w.wrapped);
  EXPECT_TRUE(w.table.equals("CHALLENGE"));
  EXPECT_EQ(w.after, R"({"REF":"C1"})");
}

TEST(DebeziumEnvelope, BracketsAndQuotesInsideStringsDoNotConfuseTheScan) {
  const std::string tricky =
      change("CHALLENGE", "u", R"({"NOTE":"}\"source\":{\"table\":\"X\"}]"})",
             R"({"NOTE":"\\","source":"not this one"})");
  Envelope e = scan_envelope(tricky);
  ASSERT_EQ(e.kind, Envelope::Kind::change);
  EXPECT_TRUE(e.table.equals("CHALLENGE"));
}

TEST(DebeziumSource, RowsOfUnlistedTablesAreDroppedWithoutParsingThem) {
  DebeziumSource source(mapping_from(kMapping));
  Engine engine(testing::example_config().protocols);
  // Not valid JSON inside the row image: an unlisted table is never parsed, so it is simply
  // dropped.
  SourceResult r =
      source.map(record(change("ADDRESS", "c", "null", R"({"LINE_1": tru, "X": [}})")), engine);
  EXPECT_TRUE(r.dropped);
  // The same garbage in a listed table's row is dead-lettered as not JSON.
  SourceResult bad =
      source.map(record(change("CHALLENGE", "c", "null", R"({"LINE_1": tru, "X": [}})")), engine);
  EXPECT_FALSE(bad.dropped);
  EXPECT_EQ(bad.error.error_class, "crp.NotJson");
}

TEST(DebeziumSource, RedeliveredChangeHasTheSameEventIdSoTheEngineIgnoresIt) {
  DebeziumSource source(mapping_from(kMapping));
  Engine engine(testing::example_config().protocols);
  const std::string insert = change(
      "CHALLENGE", "c", "null", R"({"REF":"ROT-1","PERSON":"P1","AT":1800000000000,"STATUS":"O"})");
  SourceResult first = source.map(record(insert), engine);
  ASSERT_TRUE(first.event) << first.error.message;
  Effects effects;
  engine.apply(*first.event, first.event->occurred_at, effects);
  EXPECT_FALSE(effects.empty());
  SourceResult again = source.map(record(insert), engine);
  ASSERT_TRUE(again.event);
  EXPECT_EQ(again.event->event_id, first.event->event_id);
  effects.clear();
  engine.apply(*again.event, again.event->occurred_at, effects);
  EXPECT_TRUE(effects.empty());
}

TEST(DebeziumSource, ErrorsNameRuleFieldAndColumnButNoValue) {
  DebeziumSource source(mapping_from(kMapping));
  Engine engine(testing::example_config().protocols);
  SourceResult r = source.map(
      record(change("CHALLENGE", "u", R"({"REF":"ROT-1","PERSON":"P1","AT":1,"STATUS":"O"})",
                    R"({"REF":"ROT-1","PERSON":"Jane Doe","AT":"2027-01-01","STATUS":"X"})")),
      engine);
  ASSERT_FALSE(r.event);
  EXPECT_EQ(r.error.error_class, "crp.MappingError");
  EXPECT_NE(r.error.message.find("rule 'withdrawn' field occurred_at"), std::string::npos)
      << r.error.message;
  EXPECT_NE(r.error.message.find("column AT"), std::string::npos);
  EXPECT_EQ(r.error.message.find("Jane"), std::string::npos);
}

TEST(DebeziumMapping, InvalidFilesNameThePointerAndReason) {
  auto error_of = [](const std::string& text) {
    try {
      mapping_from(text);
    } catch (const json::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  EXPECT_EQ(error_of(R"({"tables":[]})"), "test-mapping.json: /tables: minItems is 1");
  const std::string base =
      R"({"source":{"table":"T"},"challenge_id":{"column":"A"},"case_id":{"column":"B"},"protocol":{"constant":"p"},)";
  EXPECT_EQ(error_of(R"({"tables":[)" + base +
                     R"("rules":[{"name":"r","when":{"op":["x"]},"event":"challenge.raised"}]}]})"),
            "test-mapping.json: /tables/0/rules/0/when/op/0: must be one of: c, u, d, r");
  EXPECT_EQ(
      error_of(
          R"({"tables":[)" + base +
          R"("occurred_at":{"column":"T","zone":"Mars/Olympus"},"rules":[{"name":"r","when":{},"event":"challenge.raised"}]}]})"),
      "test-mapping.json: /tables/0/occurred_at/zone: unknown time zone (an IANA name such as "
      "Europe/London)");
  EXPECT_EQ(
      error_of(
          R"({"tables":[)" + base +
          R"("rules":[{"name":"r","when":{},"event":"challenge.raised"},{"name":"r","when":{},"ignore":true}]}]})"),
      "test-mapping.json: /tables/0/rules/1/name: rule name 'r' used twice in this table");
  EXPECT_EQ(
      error_of(R"({"tables":[)" + base + R"("rules":[{"name":"r","when":{}}]}]})").substr(0, 37),
      "test-mapping.json: /tables/0/rules/0:");
}

TEST(DebeziumMapping, ServiceConfigBuildsADebeziumInputFromItsMappingFile) {
  const auto dir = std::filesystem::temp_directory_path() / "crp-debezium-config-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  // The example config with its relative paths intact: every neighbour linked.
  for (const auto& entry : std::filesystem::directory_iterator(kRoot + "/config")) {
    if (entry.path().filename() != "crp-adapter.json") {
      std::filesystem::create_symlink(entry.path(), dir / entry.path().filename());
    }
  }
  const std::string config = (dir / "crp-adapter.json").string();
  auto write = [&](const std::string& inputs) {
    std::ifstream in(kRoot + "/config/crp-adapter.json");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    // The shipped inputs array, whatever it lists, replaced by this test's.
    const auto from = text.find("\"inputs\": [");
    const auto to = text.find("]", text.find("}\n  ]", from)) + 1;
    ASSERT_NE(from, std::string::npos);
    text.replace(from, to - from, "\"inputs\": " + inputs);
    std::ofstream(config) << text;
  };
  write(R"([{"topic": "crp.cdc.lcs", "connector": "debezium", "mapping": ")" + kRoot +
        R"(/config/connectors/lcs-debezium.json"}])");
  ServiceConfig c = load_service_config(config);
  ASSERT_EQ(c.inputs.size(), 1u);
  EXPECT_EQ(c.inputs[0].connector, "debezium");
  ASSERT_TRUE(c.inputs[0].source);

  write(R"([{"topic": "crp.cdc.lcs", "connector": "debezium"}])");
  EXPECT_THROW(load_service_config(config), json::ConfigError);
  write(R"([{"topic": "crp.cdc.lcs", "connector": "debezium", "mapping": "missing.json"}])");
  try {
    load_service_config(config);
    FAIL() << "loaded a config whose mapping file does not exist";
  } catch (const json::ConfigError& e) {
    EXPECT_EQ(e.file(), (dir / "missing.json").string());
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace crp::connectors::debezium
