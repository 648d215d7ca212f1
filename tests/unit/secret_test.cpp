// The secret helper (docs/decisions/0043): reads from a file or a variable,
// trims, refuses empty/oversized/unreadable sources without quoting the value,
// and wipes its buffer when it is destroyed or moved from.
#include "adapter/core/secret.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>

#include "adapter/json/json.h"

namespace crp {
namespace {

namespace fs = std::filesystem;

class SecretFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("crp-secret-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  fs::path dir_;
};

TEST_F(SecretFile, ReadsAFileAndTrimsItsNewline) {
  const std::string path = write("pw", "  s3cr3t-password-value\r\n");
  Secret s = read_secret(SecretSource::file(path), "svc.json", "/kafka/sasl.password");
  EXPECT_EQ(s.str(), "s3cr3t-password-value");
}

TEST_F(SecretFile, ResolvesARelativeFileAgainstTheConfigFolder) {
  write("token", "abcdefghijklmnopqrstuvwxyz\n");
  rapidjson::Document ref;
  ref.Parse(R"({"file":"token"})");
  const SecretSource source = SecretSource::from_json(ref, dir_);
  EXPECT_EQ(source.kind, SecretSource::Kind::file);
  EXPECT_EQ(source.name, (dir_ / "token").string());
  EXPECT_EQ(read_secret(source, "svc.json", "/x").str(), "abcdefghijklmnopqrstuvwxyz");
}

TEST_F(SecretFile, ErrorsNameTheFileAndPointerNeverTheValue) {
  const std::string empty = write("empty", "\n\n  ");
  try {
    read_secret(SecretSource::file(empty), "svc.json", "/kafka/sasl.password");
    FAIL() << "an empty secret file was accepted";
  } catch (const json::ConfigError& e) {
    EXPECT_EQ(e.file(), "svc.json");
    EXPECT_EQ(e.pointer(), "/kafka/sasl.password");
    EXPECT_EQ(e.reason(), "secret file " + empty + " is empty");
  }
  const std::string missing = (dir_ / "missing").string();
  try {
    read_secret(SecretSource::file(missing), "svc.json", "/admin/token_file");
    FAIL() << "a missing secret file was accepted";
  } catch (const json::ConfigError& e) {
    EXPECT_NE(e.reason().find("cannot open secret file " + missing), std::string::npos)
        << e.reason();
  }
  const std::string big = write("big", std::string(64 * 1024 + 1, 'k'));
  try {
    read_secret(SecretSource::file(big), "svc.json", "/x");
    FAIL() << "a 64 KiB + 1 secret file was accepted";
  } catch (const json::ConfigError& e) {
    EXPECT_EQ(e.reason(), "secret file " + big + " is larger than 64 KiB");
  }
  try {
    read_secret(SecretSource::file(dir_.string()), "svc.json", "/x");
    FAIL() << "a directory was read as a secret";
  } catch (const json::ConfigError& e) {
    EXPECT_EQ(e.reason(), "secret file " + dir_.string() + " is not a regular file");
  }
}

TEST(SecretEnv, ReadsAVariableAndNamesItWhenUnset) {
  ::setenv("CRP_SECRET_TEST_VALUE", "value-from-env\n", 1);
  rapidjson::Document ref;
  ref.Parse(R"({"env":"CRP_SECRET_TEST_VALUE"})");
  EXPECT_EQ(read_secret(SecretSource::from_json(ref, "/"), "svc.json", "/x").str(),
            "value-from-env");
  ::unsetenv("CRP_SECRET_TEST_VALUE");
  try {
    read_secret(SecretSource::env("CRP_SECRET_TEST_VALUE"), "svc.json", "/x");
    FAIL() << "an unset variable was accepted";
  } catch (const json::ConfigError& e) {
    EXPECT_EQ(e.reason(), "environment variable CRP_SECRET_TEST_VALUE is not set");
  }
}

TEST(SecretWipe, WipeOverwritesTheBytesInPlace) {
  // A long value lives on the heap; keep a pointer to its buffer and look at
  // it after wipe(): the buffer is still owned (capacity kept by clear()).
  std::string s(100, 'x');
  const char* bytes = s.data();
  wipe(s);
  EXPECT_TRUE(s.empty());
  ASSERT_EQ(s.data(), bytes);
  for (std::size_t i = 0; i < 100; ++i) ASSERT_NE(bytes[i], 'x') << "byte " << i << " survived";
}

TEST(SecretWipe, ShortStringsMovedIntoASecretLeaveNothingBehind) {
  // std::string's move leaves a short (in-object) string's bytes in the
  // source; Secret's constructor must wipe them.
  std::string s = "shortsecret";
  Secret secret(std::move(s));
  EXPECT_EQ(secret.str(), "shortsecret");
  const std::string_view source(reinterpret_cast<const char*>(&s), sizeof(s));
  EXPECT_EQ(source.find("shortsecret"), std::string_view::npos);

  Secret moved(std::move(secret));
  EXPECT_TRUE(secret.empty());  // NOLINT(bugprone-use-after-move): that is the test
  EXPECT_EQ(moved.str(), "shortsecret");
  const std::string_view old(reinterpret_cast<const char*>(&secret), sizeof(secret));
  EXPECT_EQ(old.find("shortsecret"), std::string_view::npos);
}

TEST(SecretWipe, DestructionWipesAnInObjectKey) {
  // A short key lives inside the object: construct it in storage the test
  // owns, destroy it, and look at that storage.
  alignas(Secret) unsigned char storage[sizeof(Secret)];
  auto* secret = new (storage) Secret(std::string("tiny-key"));
  ASSERT_EQ(secret->str(), "tiny-key");
  secret->~Secret();
  const std::string_view raw(reinterpret_cast<const char*>(storage), sizeof(storage));
  EXPECT_EQ(raw.find("tiny-key"), std::string_view::npos);
}

}  // namespace
}  // namespace crp
