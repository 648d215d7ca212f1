// Hostile input (issue 16): every JSON read refuses what would crash or mislead
// a consumer (deep nesting, oversized text, invalid UTF-8, NUL, unpaired
// surrogates, duplicate keys), names the limit, and never echoes the input;
// a record nested 140,000 deep is dead-lettered by every connector and by
// replay instead of overflowing the stack.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapter/json/json.h"
#include "adapter/runtime/replay.h"
#include "adapter/runtime/service_config.h"
#include "connectors/source.h"

namespace crp {
namespace {

const std::string kRoot = CRP_SOURCE_DIR;

// `depth` arrays, one inside the other: "[[[…]]]".
std::string nested(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

// The record of the issue: ~280 KB, 140,000 levels; it crashed every connector.
const std::string kDeep = nested(140000);

std::string parse_error(std::string_view text, const json::Limits& limits = json::kRecordLimits) {
  rapidjson::Document d;
  std::string error;
  if (json::parse(text, d, error, limits)) return "accepted";
  return error;
}

std::string check_error(std::string_view text) {
  std::string error;
  if (json::check(text, error)) return "accepted";
  return error;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(JsonLimits, DepthUpToTheLimitIsReadAndOneMoreIsRefused) {
  EXPECT_EQ(parse_error(nested(64)), "accepted");
  EXPECT_EQ(parse_error(nested(65)), "line 1 column 65: nesting deeper than 64 levels");
  // Objects count like arrays.
  std::string objects;
  for (int i = 0; i < 65; ++i) objects += R"({"a":)";
  objects += "1" + std::string(65, '}');
  EXPECT_TRUE(contains(parse_error(objects), "nesting deeper than 64 levels"));
  EXPECT_TRUE(contains(parse_error(kDeep), "nesting deeper than 64 levels"));
  EXPECT_TRUE(contains(check_error(kDeep), "nesting deeper than 64 levels"));
  // Brackets inside strings are text, not nesting.
  EXPECT_EQ(parse_error(R"({"a":")" + std::string(1000, '[') + R"("})"), "accepted");
  // The limit is the caller's to choose.
  EXPECT_TRUE(contains(parse_error(nested(3), {2, 100}), "nesting deeper than 2 levels"));
}

TEST(JsonLimits, SizeOverTheLimitIsRefusedBeforeReading) {
  const std::string big = R"({"a":")" + std::string(json::kRecordLimits.max_bytes, 'x') + R"("})";
  EXPECT_EQ(parse_error(big), "value larger than 1048576 bytes");
  EXPECT_EQ(check_error(big), "value larger than 1048576 bytes");
  EXPECT_EQ(parse_error(big, json::kFileLimits), "accepted");
  EXPECT_EQ(parse_error("[1,2]", {64, 4}), "value larger than 4 bytes");
}

TEST(JsonLimits, InvalidUtf8IsRefused) {
  EXPECT_EQ(parse_error("{\"a\":\"\xC3\x28\"}"), "line 1 column 7: invalid UTF-8");
  EXPECT_TRUE(contains(parse_error("{\"a\":\"\xC0\xAF\"}"), "invalid UTF-8"));      // overlong "/"
  EXPECT_TRUE(contains(parse_error("{\"a\":\"\xED\xA0\x80\"}"), "invalid UTF-8"));  // raw surrogate
  EXPECT_TRUE(contains(parse_error("{\"\xFF\":1}"), "invalid UTF-8"));              // in a key
  EXPECT_TRUE(contains(check_error("{\"a\":\"\xF8\x88\x80\x80\x80\"}"), "invalid UTF-8"));
  EXPECT_EQ(parse_error("{\"a\":\"\xC3\xA9\xF0\x9F\x98\x80\"}"), "accepted");  // é and an emoji
}

TEST(JsonLimits, ARawNulByteIsRefusedNotTakenAsTheEnd) {
  // RapidJSON's stream ends at a NUL: without the check this read as {"a":1}.
  const std::string text("{\"a\":1}\0{\"b\":2}", 15);
  EXPECT_EQ(parse_error(text), "line 1 column 8: NUL character");
  EXPECT_EQ(check_error(text), "line 1 column 8: NUL character");
  EXPECT_TRUE(contains(parse_error(std::string("{\"a\":\"x\0y\"}", 11)), "NUL character"));
}

TEST(JsonLimits, OnlyAWholeByteOrderMarkIsSkipped) {
  EXPECT_EQ(parse_error("\xEF\xBB\xBF{\"a\":1}"), "accepted");
  // RapidJSON skipped any of the mark's bytes alone: these read as 0.
  EXPECT_EQ(parse_error("\xBB"
                        "0"),
            "line 1 column 1: Invalid value.");
  EXPECT_TRUE(contains(parse_error("\xEF"
                                   "0"),
                       "line 1 column 1"));
  EXPECT_EQ(check_error("\xEF\xBB\xBF[1,]"), "line 1 column 7: Invalid value.");
}

TEST(JsonLimits, EscapesThatDecodeToBadTextAreRefused) {
  EXPECT_TRUE(contains(parse_error(R"({"a":"x\u0000y"})"), "NUL character in a string"));
  EXPECT_TRUE(contains(parse_error(R"({"a\u0000":1})"), "NUL character in a string"));
  EXPECT_TRUE(contains(parse_error(R"({"a":"\uDC00"})"), "unpaired UTF-16 surrogate"));
  EXPECT_TRUE(contains(check_error(R"({"a":"\uDFFF"})"), "unpaired UTF-16 surrogate"));
  EXPECT_TRUE(contains(parse_error(R"({"a":"\uD800"})"), "surrogate"));  // high, no low
  EXPECT_EQ(parse_error(R"({"a":"\uD83D\uDE00 \u00e9"})"), "accepted");  // a proper pair
}

TEST(JsonLimits, DuplicateKeysAreRefusedWithoutNamingThem) {
  const std::string error = parse_error(R"({"Jane Smith":1,"b":2,"Jane Smith":3})");
  EXPECT_TRUE(contains(error, "duplicate key")) << error;
  EXPECT_FALSE(contains(error, "Jane")) << error;
  EXPECT_TRUE(contains(parse_error(R"({"a":{"x":1,"x":1}})"), "duplicate key"));
  EXPECT_TRUE(contains(check_error(R"([{"x":1,"x":2}])"), "duplicate key"));
  // An escaped spelling of the same key is the same key.
  EXPECT_TRUE(contains(parse_error(R"({"ab":1,"a\u0062":2})"), "duplicate key"));
  // The same key in sibling or nested objects is not a duplicate.
  EXPECT_EQ(parse_error(R"({"x":{"x":{"x":1}},"y":{"x":2},"z":[{"x":1},{"x":2}]})"), "accepted");
  // A large map stays linear: 50,000 distinct keys parse.
  std::string map = "{";
  for (int i = 0; i < 50000; ++i) map += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  map += "}";
  EXPECT_EQ(parse_error(map), "accepted");
}

TEST(JsonLimits, ARefusedParseLeavesTheDocumentAsItWas) {
  rapidjson::Document d;
  std::string error;
  ASSERT_TRUE(json::parse(R"({"kept":true})", d, error));
  EXPECT_FALSE(json::parse(R"({"a":1,"a":2})", d, error));
  ASSERT_TRUE(d.IsObject());
  EXPECT_TRUE(d.HasMember("kept"));
  EXPECT_FALSE(json::parse(kDeep, d, error));
  EXPECT_TRUE(d.HasMember("kept"));
}

TEST(JsonLimits, SyntaxErrorsStillNameLineAndColumn) {
  EXPECT_EQ(parse_error("{\n \"a\" 1}"),
            "line 2 column 6: Missing a colon after a name of object member.");
  EXPECT_TRUE(
      contains(parse_error("[1] [2]"), "The document root must not be followed by other values."));
  EXPECT_TRUE(contains(parse_error("1e999"), "Number too big to be stored in double."));
  // Just over the largest double RapidJSON rounds to infinity, which no Writer can write.
  EXPECT_EQ(parse_error(R"({"a":3e308})"), "line 1 column 6: number out of range");
  EXPECT_EQ(parse_error(R"([-1.8e308])"), "line 1 column 2: number out of range");
  EXPECT_EQ(parse_error(R"([1.7e308])"), "accepted");
}

TEST(JsonLimits, ConfigFilesAreCheckedToo) {
  const auto dir = std::filesystem::temp_directory_path() / "crp-hostile-input-test";
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "dup.json").string();
  std::ofstream(file) << R"({"protocols":[],"protocols":["x"]})";
  try {
    json::parse_file(file);
    FAIL() << "a config file with a duplicate key was accepted";
  } catch (const json::ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), "duplicate key")) << e.what();
  }
  std::filesystem::remove_all(dir);
}

// Every source connector, built the way the service builds them, dead-letters
// the deep record with the limit named (before: a segfault in each).
TEST(HostileInput, EveryConnectorDeadLettersADeepRecord) {
  const ServiceConfig config = load_service_config(kRoot + "/tests/connectors/service.json");
  Engine engine(config.protocols);
  rapidjson::Document options;
  std::string error;
  ASSERT_TRUE(json::parse(R"({"protocols":["bradford","iro-cp-lac"],
      "mapping":")" + kRoot + R"(/config/connectors/lcs-debezium.json"})",
                          options, error))
      << error;
  const std::string change_with_deep_row =
      R"({"before":null,"after":)" + kDeep +
      R"(,"source":{"db":"LCS_LIVE","schema":"dbo","table":"CP_CHALLENGE_FORM"},"op":"c"})";
  for (const char* name : {"canonical", "lcs", "mosaic", "debezium"}) {
    SCOPED_TRACE(name);
    auto source = connectors::make_source(name, options, kRoot + "/tests/connectors/service.json",
                                          "/inputs/0", config.protocols);
    std::vector<std::string> values = {kDeep, R"({"a":)" + kDeep + "}"};
    if (std::string(name) == "debezium") values.push_back(change_with_deep_row);
    for (const std::string& value : values) {
      Record r;
      r.topic = "t";
      r.value = value;
      const connectors::SourceResult result = source->map(r, engine);
      ASSERT_FALSE(result.event.has_value());
      ASSERT_FALSE(result.dropped);
      EXPECT_EQ(result.error.error_class, "crp.NotJson");
      EXPECT_TRUE(contains(result.error.message, "nesting deeper than 64 levels"))
          << result.error.message;
    }
  }
}

// The other refusals reach the dead-letter message too (canonical shown; the
// case-system connectors share json::parse through parse_and_validate).
TEST(HostileInput, TheReasonIsTheDeadLetterMessage) {
  const ServiceConfig config = load_service_config(kRoot + "/tests/connectors/service.json");
  Engine engine(config.protocols);
  rapidjson::Document options(rapidjson::kObjectType);
  auto source =
      connectors::make_source("canonical", options, "service.json", "/inputs/0", config.protocols);
  const std::pair<std::string, std::string> cases[] = {
      {"{\"type\":\"challenge.raised\",\"summary\":\"\xC3\x28\"}", "invalid UTF-8"},
      {R"({"type":"challenge.raised","type":"challenge.closed"})", "duplicate key"},
      {R"({"summary":"a\u0000b"})", "NUL character in a string"},
      {R"({"summary":")" + std::string(2 * 1024 * 1024, 'x') + R"("})",
       "value larger than 1048576 bytes"},
  };
  for (const auto& [value, reason] : cases) {
    Record r;
    r.value = value;
    const connectors::SourceResult result = source->map(r, engine);
    ASSERT_FALSE(result.event.has_value());
    EXPECT_EQ(result.error.error_class, "crp.NotJson");
    EXPECT_TRUE(contains(result.error.message, reason)) << result.error.message;
  }
}

// `replay` reads the same records and prints dead letters by parsing them
// again: the deep record is dead-lettered on every input topic, printed as a
// string, and the records after it are still processed.
TEST(HostileInput, ReplayDeadLettersDeepRecordsAndCarriesOn) {
  const ServiceConfig config = load_service_config(kRoot + "/tests/connectors/service.json");
  auto line = [](const std::string& topic, const std::string& value) {
    return R"({"topic":")" + topic + R"(","key":"K","value":)" + value + "}\n";
  };
  const std::string deep_string = "\"" + kDeep + "\"";  // the raw bytes, as Kafka holds them
  std::istringstream in(
      line("crp.commands", deep_string) + line("lcs.events", deep_string) +
      line("mosaic.events", deep_string) +
      // A replay line nested too deep itself (a value given as JSON, not text).
      line("crp.commands", kDeep) +
      line(
          "crp.commands",
          R"({"type":"challenge.raised","event_id":"e2","occurred_at":"2026-12-17T10:00:00Z","challenge_id":"C1","case_id":"K1","protocol":"rotherham"})"));
  std::ostringstream out, err;
  const ReplayStats stats = replay(config, in, out, err, std::nullopt);
  EXPECT_EQ(stats.records, 5u);
  EXPECT_EQ(stats.dead_lettered, 4u);
  const std::string text = out.str();
  std::size_t reasons = 0;
  for (std::size_t at = text.find("nesting deeper than 64 levels"); at != std::string::npos;
       at = text.find("nesting deeper than 64 levels", at + 1)) {
    ++reasons;
  }
  EXPECT_GE(reasons, 4u);
  EXPECT_TRUE(contains(text, "challenge.stage_started")) << "the valid record after them";
}

// A replay line is a record with its envelope: a value over the record limit
// is the connector's to refuse, as the service would, not a bad line.
TEST(HostileInput, ReplayLeavesTheSizeLimitToTheConnector) {
  const ServiceConfig config = load_service_config(kRoot + "/tests/connectors/service.json");
  std::istringstream in(R"({"topic":"crp.commands","key":"K","value":"{\"summary\":\")" +
                        std::string(2 * 1024 * 1024, 'x') + "\\\"}\"}\n");
  std::ostringstream out, err;
  const ReplayStats stats = replay(config, in, out, err, std::nullopt);
  EXPECT_EQ(stats.dead_lettered, 1u);
  EXPECT_TRUE(contains(out.str(), "crp.NotJson")) << err.str();
  EXPECT_TRUE(contains(out.str(), "value is not JSON: value larger than 1048576 bytes"));
  EXPECT_FALSE(contains(out.str(), "crp.InvalidRecord"));
}

}  // namespace
}  // namespace crp
