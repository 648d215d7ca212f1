#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "adapter/json/json.h"
#include "connectors/webhooks/partner.h"

namespace crp::webhooks {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// A fresh directory of partner files per test.
class WebhooksPartnerFiles : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("crp-partners-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ::setenv("CRP_TEST_PARTNER_SECRET", kSecret, 1);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  // A valid partner with `extra` members spliced in (replacing none).
  static std::string partner(
      const std::string& id, const std::string& extra = "",
      const std::string& url = "https://partner.example.org/hook",
      const std::string& secrets = R"([{"env": "CRP_TEST_PARTNER_SECRET"}])") {
    return R"({"id": ")" + id + R"(", "kind": "health", "url": ")" + url + R"(", "secrets": )" +
           secrets +
           R"(, "subscription": {"agencies": ["health"]}, "allowed_fields": ["challenge_id", "stage"])" +
           (extra.empty() ? "" : ", " + extra) + "}";
  }

  json::ConfigError load_error() {
    try {
      load_partners(dir_.string());
    } catch (const json::ConfigError& e) {
      return e;
    }
    ADD_FAILURE() << "expected a ConfigError";
    return json::ConfigError("", "", "");
  }

  fs::path dir_;
};

TEST_F(WebhooksPartnerFiles, TheShippedExamplesLoadWhenTheirSecretsAreSet) {
  const std::string dir = std::string(CRP_SOURCE_DIR) + "/config/partners";
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string id = entry.path().stem().string();
    std::string env = "CRP_PARTNER_SECRET_";
    for (char c : id)
      env += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    ::setenv(env.c_str(), kSecret, 1);
  }
  PartnerRegistry r = load_partners(dir);
  ASSERT_EQ(r.partners.size(), 8u);
  std::set<std::string> routes, agencies;
  for (const Partner& p : r.partners) {
    EXPECT_EQ(p.endpoint.scheme, "https") << p.id;
    EXPECT_EQ(p.secrets.size(), 1u);
    routes.insert(p.subscription.routes.begin(), p.subscription.routes.end());
    agencies.insert(p.subscription.agencies.begin(), p.subscription.agencies.end());
  }
  // Every partnership route in the seed protocols has a partner.
  EXPECT_EQ(routes, (std::set<std::string>{"bscp", "calderdale_scb", "hscb", "rscp_business_unit",
                                           "rscp_practice_review_group"}));
  // The agencies a challenge can concern reach their own partner (by code).
  EXPECT_EQ(agencies, (std::set<std::string>{"education", "health", "police"}));
  EXPECT_EQ(r.partners.front().id, "bradford-bscp");  // sorted by file name
}

// Decision 0050: the child's case reference goes to a partner only with a reason.
TEST_F(WebhooksPartnerFiles, CaseIdNeedsAJustification) {
  const std::string base =
      R"({"id": "p", "kind": "health", "url": "https://partner.example.org/hook",
          "secrets": [{"env": "CRP_TEST_PARTNER_SECRET"}], "subscription": {},
          "allowed_fields": ["challenge_id", "case_id"])";
  write("p.json", base + "}");
  const json::ConfigError e = load_error();
  EXPECT_EQ(e.pointer(), "/allowed_fields");
  EXPECT_NE(std::string(e.what()).find("case_id_justification"), std::string::npos) << e.what();
  write("p.json",
        base + R"(, "case_id_justification": "The panel asks the council for the record."})");
  const PartnerRegistry r = load_partners(dir_.string());
  ASSERT_EQ(r.partners.size(), 1u);
  EXPECT_TRUE(r.partners.front().allowed_fields.count("case_id"));
}

TEST_F(WebhooksPartnerFiles, ReadsEveryFieldAndAppliesDefaults) {
  write("a.json", partner("a"));
  write("b.json", partner("b",
                          R"("timeout_ms": 2500, "max_in_flight": 3, "rate_limit_per_s": 7.5,
                             "retry": {"schedule_ms": [0, 1000], "jitter": 0.1},
                             "circuit_breaker": {"failures_to_open": 2, "open_for_ms": 900},
                             "ca_file": "ca.pem")",
                          "https://[::1]:8443/in?x=1"));
  write("ca.pem", "not checked until a TLS context is made");
  PartnerRegistry r = load_partners(dir_.string());
  ASSERT_EQ(r.partners.size(), 2u);
  const Partner& a = *r.find("a");
  EXPECT_EQ(a.timeout, 10s);
  EXPECT_EQ(a.max_in_flight, 8);
  EXPECT_EQ(a.retry.schedule, standard_retry_schedule());
  EXPECT_EQ(a.endpoint.host, "partner.example.org");
  EXPECT_EQ(a.endpoint.port, "443");
  EXPECT_EQ(a.endpoint.target, "/hook");
  EXPECT_EQ(a.secrets.front().size(), 24u);
  EXPECT_EQ(a.subscription.agencies, std::set<std::string>{"health"});
  EXPECT_EQ(a.allowed_fields, (std::set<std::string>{"challenge_id", "stage"}));
  const Partner& b = *r.find("b");
  EXPECT_EQ(b.timeout, 2500ms);
  EXPECT_EQ(b.max_in_flight, 3);
  EXPECT_DOUBLE_EQ(b.rate_limit_per_s, 7.5);
  EXPECT_EQ(b.retry.schedule, (std::vector<std::chrono::milliseconds>{0ms, 1000ms}));
  EXPECT_DOUBLE_EQ(b.retry.jitter, 0.1);
  EXPECT_EQ(b.breaker.failures_to_open, 2);
  EXPECT_EQ(b.breaker.open_for, 900ms);
  EXPECT_EQ(b.ca_file, (dir_ / "ca.pem").string());
  EXPECT_EQ(b.endpoint.host, "::1");
  EXPECT_EQ(b.endpoint.port, "8443");
  EXPECT_EQ(b.endpoint.target, "/in?x=1");
}

TEST_F(WebhooksPartnerFiles, RotationKeepsEverySecretNewestFirst) {
  write("secret.txt", "whsec_aGVsbG8gd29ybGQgbmV3IGtleSEh\n");
  write("a.json", partner("a", "", "https://partner.example.org/hook",
                          R"([{"file": "secret.txt"}, {"env": "CRP_TEST_PARTNER_SECRET"}])"));
  PartnerRegistry r = load_partners(dir_.string());
  ASSERT_EQ(r.partners[0].secrets.size(), 2u);
  EXPECT_EQ(r.partners[0].secrets[0], "hello world new key!!");
}

TEST_F(WebhooksPartnerFiles, SecretsCanBeLeftUnresolvedForReplay) {
  write("a.json",
        partner("a", "", "https://p.example.org/", R"([{"env": "CRP_TEST_NO_SUCH_SECRET"}])"));
  PartnerRegistry r = load_partners(dir_.string(), false);
  ASSERT_EQ(r.partners.size(), 1u);
  EXPECT_TRUE(r.partners[0].secrets.empty());
  EXPECT_THROW(load_partners(dir_.string()), json::ConfigError);
}

TEST_F(WebhooksPartnerFiles, AMissingEnvironmentVariableIsNamed) {
  const std::string file = write("a.json", partner("a", "", "https://p.example.org/",
                                                   R"([{"env": "CRP_TEST_NO_SUCH_SECRET"}])"));
  auto e = load_error();
  EXPECT_EQ(e.file(), file);
  EXPECT_EQ(e.pointer(), "/secrets/0");
  EXPECT_NE(e.reason().find("CRP_TEST_NO_SUCH_SECRET is not set"), std::string::npos);
}

TEST_F(WebhooksPartnerFiles, AnUnreadableSecretFileIsNamed) {
  write("a.json", partner("a", "", "https://p.example.org/",
                          R"([{"env": "CRP_TEST_PARTNER_SECRET"}, {"file": "gone.txt"}])"));
  auto e = load_error();
  EXPECT_EQ(e.pointer(), "/secrets/1");
  EXPECT_NE(e.reason().find("gone.txt"), std::string::npos);
}

TEST_F(WebhooksPartnerFiles, ASecretThatIsNotBase64IsRefusedWithoutEchoingIt) {
  ::setenv("CRP_TEST_BAD_SECRET", "whsec_sup3r-s3cret!value", 1);
  write("a.json",
        partner("a", "", "https://p.example.org/", R"([{"env": "CRP_TEST_BAD_SECRET"}])"));
  auto e = load_error();
  EXPECT_EQ(e.pointer(), "/secrets/0");
  EXPECT_NE(e.reason().find("base64"), std::string::npos);
  EXPECT_EQ(std::string(e.what()).find("sup3r"), std::string::npos);
}

TEST_F(WebhooksPartnerFiles, ASecretWithoutThePrefixIsRefused) {
  ::setenv("CRP_TEST_BARE_SECRET", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1);
  write("a.json",
        partner("a", "", "https://p.example.org/", R"([{"env": "CRP_TEST_BARE_SECRET"}])"));
  EXPECT_NE(load_error().reason().find("whsec_"), std::string::npos);
}

TEST_F(WebhooksPartnerFiles, PlainHttpOnlyForAnAllowedLoopbackHost) {
  write("a.json", partner("a", "", "http://127.0.0.1:8080/hook"));
  auto e = load_error();
  EXPECT_EQ(e.pointer(), "/url");
  EXPECT_NE(e.reason().find("https"), std::string::npos);

  write("a.json",
        partner("a", R"("allow_insecure_loopback": true)", "http://partner.example.org/hook"));
  e = load_error();
  EXPECT_EQ(e.pointer(), "/url");
  EXPECT_NE(e.reason().find("127.0.0.1"), std::string::npos);

  write("a.json", partner("a", R"("allow_insecure_loopback": true)", "http://127.0.0.1:8080/hook"));
  PartnerRegistry r = load_partners(dir_.string());
  EXPECT_EQ(r.partners[0].endpoint.scheme, "http");
  EXPECT_EQ(r.partners[0].endpoint.port, "8080");
}

TEST_F(WebhooksPartnerFiles, SchemaViolationsNameThePointer) {
  write("a.json", partner("a", R"("kind_of": "x")"));
  EXPECT_EQ(load_error().pointer(), "/kind_of");  // an unknown member
  write(
      "a.json",
      R"({"id": "a", "kind": "fire_brigade", "url": "https://x.example/", "secrets": [{"env": "X"}],
                      "subscription": {}, "allowed_fields": []})");
  EXPECT_EQ(load_error().pointer(), "/kind");
  write("a.json", partner("Bad_Id"));
  EXPECT_EQ(load_error().pointer(), "/id");
  write("a.json", partner("a", R"("max_in_flight": 0)"));
  EXPECT_EQ(load_error().pointer(), "/max_in_flight");
  write("a.json", partner("a", "", "ftp://x.example/"));
  EXPECT_EQ(load_error().pointer(), "/url");
  write("a.json", partner("a", "", "https://user:pw@x.example/"));
  EXPECT_EQ(load_error().pointer(), "/url");
  write("a.json", "{ not json");
  EXPECT_NE(load_error().reason().find("not valid JSON"), std::string::npos);
}

TEST_F(WebhooksPartnerFiles, APartnerIdDefinedTwiceIsRefused) {
  write("a.json", partner("same"));
  const std::string second = write("b.json", partner("same"));
  auto e = load_error();
  EXPECT_EQ(e.file(), second);
  EXPECT_EQ(e.pointer(), "/id");
}

TEST_F(WebhooksPartnerFiles, AMissingDirectoryIsAnError) {
  EXPECT_THROW(load_partners((dir_ / "nope").string()), json::ConfigError);
}

}  // namespace
}  // namespace crp::webhooks
