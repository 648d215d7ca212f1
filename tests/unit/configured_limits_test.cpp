// The service config's `limits` and `runtime.dead_letter_retention_days`
// (docs/decisions/0035, 0045), a hostile bank-holidays file named with its
// reason, and the dead-letter headers the service adds carrying no input.
#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "adapter/json/json.h"
#include "adapter/runtime/output_router.h"
#include "adapter/runtime/replay.h"
#include "adapter/runtime/service_config.h"

namespace crp {
namespace {

namespace fs = std::filesystem;
const std::string kRoot = CRP_SOURCE_DIR;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// tests/connectors/service.json with `edit` applied, written next to it (so
// its relative paths still resolve) under a name of this process's; the
// process's record limits are put back after.
class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("crp-limits-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    config_ = kRoot + "/tests/connectors/.limits-test-" + std::to_string(::getpid()) + ".json";
  }
  void TearDown() override {
    json::set_record_limits(json::kRecordLimits);
    fs::remove_all(dir_);
    fs::remove(config_);
  }
  std::string write(const std::function<void(rapidjson::Document&)>& edit) {
    rapidjson::Document doc = json::parse_file(kRoot + "/tests/connectors/service.json");
    edit(doc);
    std::ofstream(config_) << json::to_string(doc);
    return config_;
  }
  std::string write_file(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  fs::path dir_;
  std::string config_;
};

void set(rapidjson::Document& doc, const char* block, const char* key, int value) {
  auto& a = doc.GetAllocator();
  if (!doc.HasMember(block))
    doc.AddMember(rapidjson::Value(block, a), rapidjson::Value(rapidjson::kObjectType), a);
  doc[block].AddMember(rapidjson::Value(key, a), rapidjson::Value(value), a);
}

std::string replay_line(const std::string& value) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.String(value);
  return R"({"topic":"crp.commands","key":"K","value":)" + std::string(b.GetString()) + "}\n";
}

// A valid raise of ~20 KB (a long summary): over 16384 bytes, far under 1 MiB.
const std::string kRaise =
    R"({"type":"challenge.raised","event_id":"e1","occurred_at":"2026-12-17T10:00:00Z",)"
    R"("challenge_id":"C1","case_id":"K1","protocol":"rotherham","summary":")" +
    std::string(20000, 's') + R"("})";

TEST_F(ConfigFile, ALoweredRecordSizeDeadLettersNamingTheLimit) {
  const ServiceConfig lowered =
      load_service_config(write([](auto& d) { set(d, "limits", "max_record_bytes", 16384); }));
  EXPECT_EQ(lowered.record_limits.max_bytes, 16384u);
  EXPECT_EQ(json::record_limits().max_bytes, 16384u);
  std::istringstream in(replay_line(kRaise));
  std::ostringstream out, err;
  EXPECT_EQ(replay(lowered, in, out, err, std::nullopt).dead_lettered, 1u);
  EXPECT_TRUE(contains(out.str(), "value is not JSON: value larger than 16384 bytes")) << out.str();

  // The same record under the default limit is not refused for its size.
  const ServiceConfig normal = load_service_config(write([](auto&) {}));
  EXPECT_EQ(json::record_limits().max_bytes, json::kRecordLimits.max_bytes);
  std::istringstream again(replay_line(kRaise));
  std::ostringstream out2, err2;
  replay(normal, again, out2, err2, std::nullopt);
  EXPECT_FALSE(contains(out2.str(), "larger than")) << out2.str();
  EXPECT_TRUE(contains(out2.str(), "challenge.stage_started")) << out2.str();
}

TEST_F(ConfigFile, ALoweredDepthDeadLettersNamingTheLimit) {
  const ServiceConfig config =
      load_service_config(write([](auto& d) { set(d, "limits", "max_depth", 8); }));
  const std::string deep = R"({"type":"challenge.raised","x":)" + std::string(8, '[') +
                           std::string(8, ']') + "}";  // 9 levels
  std::istringstream in(replay_line(deep));
  std::ostringstream out, err;
  EXPECT_EQ(replay(config, in, out, err, std::nullopt).dead_lettered, 1u);
  EXPECT_TRUE(contains(out.str(), "nesting deeper than 8 levels")) << out.str();
}

TEST_F(ConfigFile, LimitsOutsideTheirRangeAreRefused) {
  for (auto [key, value] : {std::pair{"max_record_bytes", 1024}, {"max_depth", 65}}) {
    const std::string path = write([&](auto& d) { set(d, "limits", key, value); });
    try {
      load_service_config(path);
      ADD_FAILURE() << key << "=" << value << " was accepted";
    } catch (const json::ConfigError& e) {
      EXPECT_EQ(e.pointer(), std::string("/limits/") + key);
    }
  }
}

TEST_F(ConfigFile, DeadLetterRetentionDefaultsToSevenDays) {
  EXPECT_EQ(load_service_config(write([](auto&) {})).dead_letter_retention,
            std::chrono::milliseconds(604800000));
  EXPECT_EQ(load_service_config(write([](auto& d) {
              set(d, "runtime", "dead_letter_retention_days", 2);
            })).dead_letter_retention,
            std::chrono::milliseconds(2 * 86400000));
  EXPECT_THROW(load_service_config(
                   write([](auto& d) { set(d, "runtime", "dead_letter_retention_days", 0); })),
               json::ConfigError);
}

// A hostile bank-holidays file: refused with the file and the reason, no crash.
TEST_F(ConfigFile, AHostileCalendarFileIsNamedWithItsReason) {
  const std::string calendar =
      write_file("bank-holidays.json", std::string(300000, '[') + std::string(300000, ']'));
  const std::string path =
      write([&](auto& d) { d["calendar"]["file"].SetString(calendar, d.GetAllocator()); });
  try {
    load_service_config(path);
    FAIL() << "the hostile calendar was accepted";
  } catch (const json::ConfigError& e) {
    EXPECT_EQ(e.file(), calendar);
    EXPECT_TRUE(contains(e.reason(), "not valid JSON: line 1 column 65: nesting deeper than 64"))
        << e.reason();
  }
}

// The headers the service adds to a dead letter never carry input: an input
// header posing as one of them is not copied; the record's own are kept.
TEST_F(ConfigFile, DeadLetterHeadersPosingAsTheServicesAreDropped) {
  const ServiceConfig config = load_service_config(write([](auto&) {}));
  const OutputRouter router(config);
  Record in;
  in.topic = "crp.commands";
  in.key = "K";
  in.value = "{}";
  in.headers = {{"ce_id", "e1"},
                {"__connect.errors.exception.message", "Jane Smith hit her head"},
                {"__connect.errors.exception.class.name", "Jane Smith"}};
  const Record dlq = router.dead_letter(in, "crp.SchemaViolation", "/summary: too long");
  EXPECT_EQ(dlq.topic, config.topics.dlq);
  ASSERT_NE(dlq.header("ce_id"), nullptr);
  EXPECT_EQ(*dlq.header("ce_id"), "e1");
  for (const auto& h : dlq.headers) EXPECT_FALSE(contains(h.value, "Jane")) << h.key;
  EXPECT_EQ(*dlq.header("__connect.errors.exception.message"), "/summary: too long");
  EXPECT_EQ(*dlq.header("__connect.errors.exception.class.name"), "crp.SchemaViolation");
}

// notify.service_id (the chart's notify.serviceId): a key of another Notify
// service is refused when the secrets are read, before anything is sent.
TEST_F(ConfigFile, ANotifyKeyOfAnotherServiceIsRefused) {
  const std::string key = write_file(
      "notify-key",
      "crp-live-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0\n");
  auto with_service = [&](const char* service_id) {
    return write([&](rapidjson::Document& d) {
      auto& a = d.GetAllocator();
      rapidjson::Value notify(rapidjson::kObjectType), file(rapidjson::kObjectType);
      file.AddMember("file", rapidjson::Value(key.c_str(), a), a);
      notify.AddMember("api_key", file, a);
      notify.AddMember("service_id", rapidjson::Value(service_id, a), a);
      d.AddMember("notify", notify, a);
    });
  };
  EXPECT_EQ(
      load_service_config(with_service("26785a09-ab16-4eb0-8407-a37497a57506"), Secrets::resolve)
          .notify.sender.service_id,
      "26785a09-ab16-4eb0-8407-a37497a57506");
  try {
    load_service_config(with_service("00000000-ab16-4eb0-8407-a37497a57506"), Secrets::resolve);
    ADD_FAILURE() << "a key of another service was accepted";
  } catch (const json::ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), "/notify/api_key")) << e.what();
    EXPECT_TRUE(contains(e.what(), "another GOV.UK Notify service")) << e.what();
    EXPECT_FALSE(contains(e.what(), "3d844edf")) << e.what();  // never the secret
  }
}

}  // namespace
}  // namespace crp
