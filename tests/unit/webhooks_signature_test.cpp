#include <gtest/gtest.h>

#include "connectors/webhooks/base64.h"
#include "connectors/webhooks/signature.h"

namespace crp::webhooks {
namespace {

// The test vector published with the Standard Webhooks reference libraries.
constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t kTimestamp = 1614265330;
constexpr const char* kBody = R"({"test": 2432232314})";
constexpr const char* kSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

TEST(WebhooksSignature, MatchesTheStandardWebhooksTestVector) {
  auto key = decode_secret(kSecret);
  ASSERT_TRUE(key);
  EXPECT_EQ(sign({*key}, kId, kTimestamp, kBody), kSignature);
}

TEST(WebhooksSignature, EveryKeySignsDuringARotation) {
  auto old_key = decode_secret(kSecret);
  auto new_key = decode_secret("whsec_" + base64_encode("a brand new 32-byte signing key!"));
  ASSERT_TRUE(old_key && new_key);
  const std::string header = sign({*new_key, *old_key}, kId, kTimestamp, kBody);
  const std::string new_only = sign({*new_key}, kId, kTimestamp, kBody);
  EXPECT_EQ(header, new_only + " " + kSignature);
  EXPECT_NE(new_only, kSignature);
}

TEST(WebhooksSignature, TheSignatureCoversIdTimestampAndBody) {
  auto key = *decode_secret(kSecret);
  const std::string base = sign({key}, kId, kTimestamp, kBody);
  EXPECT_NE(sign({key}, "msg_other", kTimestamp, kBody), base);
  EXPECT_NE(sign({key}, kId, kTimestamp + 1, kBody), base);
  EXPECT_NE(sign({key}, kId, kTimestamp, R"({"test": 2432232315})"), base);
}

TEST(WebhooksSignature, SecretsMustBeBase64) {
  EXPECT_FALSE(decode_secret("whsec_not base64!"));
  EXPECT_FALSE(decode_secret("whsec_abc"));   // not padded to a multiple of 4
  EXPECT_FALSE(decode_secret("whsec_"));      // empty key
  EXPECT_FALSE(decode_secret("whsec_ab=c"));  // padding inside
  EXPECT_EQ(decode_secret("whsec_aGVsbG8="), "hello");
  EXPECT_EQ(decode_secret("aGVsbG8="), "hello");
}

TEST(WebhooksSignature, Base64RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes) << n;
    bytes += static_cast<char>(n * 37 + 200);
  }
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
}

}  // namespace
}  // namespace crp::webhooks
