// runtime.memory_limit_mib (docs/decisions/0031): how the service config
// reads it, and the ceiling that refuses a restore above it. The refusal
// itself, on a real broker: tests/integration/e2e_memory_ceiling.py.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "adapter/json/json.h"
#include "adapter/runtime/admin/process_metrics.h"
#include "adapter/runtime/kafka/memory_ceiling.h"
#include "adapter/runtime/service_config.h"

namespace crp {
namespace {

const std::string kConfigDir = std::string(CRP_SOURCE_DIR) + "/config/";

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
    text.replace(at, from.size(), to);
}

// The example service config, its relative paths made absolute, with
// `runtime` replaced; written to a file of its own.
class MemoryLimitConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("crp-memory-limit-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& runtime) {
    std::string text = json::read_file(kConfigDir + "crp-adapter.json");
    for (const char* folder : {"calendars/", "protocols/", "directory/", "connectors/"})
      replace_all(text, std::string("\"") + folder, "\"" + kConfigDir + folder);
    replace_all(text, "\"partners\": \"partners\"", "\"partners\": \"" + kConfigDir + "partners\"");
    replace_all(text, "\"agencies.json\"", "\"" + kConfigDir + "agencies.json\"");
    const std::string example_runtime =
        R"("runtime": {"commit_interval_ms": 100, "max_batch": 1000})";
    EXPECT_NE(text.find(example_runtime), std::string::npos) << "the example config changed";
    replace_all(text, example_runtime, "\"runtime\": " + runtime);
    const std::string path = (dir_ / "crp-adapter.json").string();
    std::ofstream(path) << text;
    return path;
  }

  void expect_refused(const std::string& runtime, const std::string& reason_part) {
    const std::string path = write(runtime);
    try {
      load_service_config(path);
      ADD_FAILURE() << runtime << " was accepted";
    } catch (const json::ConfigError& e) {
      EXPECT_EQ(e.file(), path);
      EXPECT_EQ(e.pointer(), "/runtime/memory_limit_mib") << e.what();
      EXPECT_NE(e.reason().find(reason_part), std::string::npos) << e.reason();
    }
  }

  std::filesystem::path dir_;
};

TEST_F(MemoryLimitConfig, AbsentMeansNoLimit) {
  EXPECT_FALSE(load_service_config(write(R"({"max_batch": 10})")).memory_limit_mib);
  EXPECT_FALSE(kafka::MemoryCeiling(std::nullopt).enabled());
}

TEST_F(MemoryLimitConfig, PresentIsReadInMebibytes) {
  const ServiceConfig c = load_service_config(write(R"({"memory_limit_mib": 1536})"));
  ASSERT_TRUE(c.memory_limit_mib);
  EXPECT_EQ(*c.memory_limit_mib, 1536u);
  const kafka::MemoryCeiling ceiling(c.memory_limit_mib);
  EXPECT_TRUE(ceiling.enabled());
  EXPECT_EQ(ceiling.limit_bytes(), 1536ull * 1024 * 1024);
}

TEST_F(MemoryLimitConfig, InvalidValuesNameFileAndPointer) {
  // A value meant in GiB (2) would refuse every partition: below the minimum.
  expect_refused(R"({"memory_limit_mib": 2})", "minimum");
  expect_refused(R"({"memory_limit_mib": "2Gi"})", "expected integer");
  expect_refused(R"({"memory_limit_mib": 512.5})", "expected integer");
  expect_refused(R"({"memory_limit_mib": -1})", "minimum");
}

TEST(MemoryCeiling, ReadsTheResidentMemory) {
  const auto rss = admin::resident_memory_bytes();
  ASSERT_TRUE(rss);
  EXPECT_GT(*rss, 1u << 20);  // a running test binary holds more than 1 MiB
}

TEST(MemoryCeiling, NoLimitNeverThrows) {
  kafka::MemoryCeiling none(std::nullopt);
  EXPECT_NO_THROW(none.check());
  EXPECT_FALSE(none.above_while_processing());
}

TEST(MemoryCeiling, ThrowsOnceTheResidentMemoryPassesTheLimit) {
  const std::uint64_t base_mib = kafka::mib(*admin::resident_memory_bytes());
  kafka::MemoryCeiling ceiling(base_mib + 64);
  EXPECT_NO_THROW(ceiling.check());
  EXPECT_FALSE(ceiling.above_while_processing());

  // 128 MiB more, every page touched so that it is resident.
  constexpr std::size_t kGrow = std::size_t{128} << 20;
  auto block = std::make_unique<char[]>(kGrow);
  std::memset(block.get(), 1, kGrow);

  // check() reads /proc at most every few milliseconds: poll, with a deadline.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  std::uint64_t seen = 0;
  while (seen == 0 && std::chrono::steady_clock::now() < deadline) {
    try {
      ceiling.check();
    } catch (const kafka::MemoryCeilingExceeded& e) {
      seen = e.rss_bytes();
      EXPECT_NE(std::string(e.what()).find("runtime.memory_limit_mib"), std::string::npos);
    }
  }
  EXPECT_GT(seen, ceiling.limit_bytes());

  // While processing it only reports (the service logs a warning), once a minute.
  kafka::MemoryCeiling processing(base_mib + 64);
  const auto above = processing.above_while_processing();
  ASSERT_TRUE(above);
  EXPECT_GT(*above, processing.limit_bytes());
  EXPECT_FALSE(processing.above_while_processing());
  EXPECT_EQ(block[kGrow - 1], 1);  // the block is live until here
}

}  // namespace
}  // namespace crp
