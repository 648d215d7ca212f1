// POST /notify/callback (docs/decisions/0049): Notify's own bearer token,
// never the admin token; receipts counted by status; a permanent failure
// handed to the sink and answered 200 only once it is recorded.
#include <gtest/gtest.h>

#include "adapter/runtime/admin/notify_callback.h"
#include "adapter/runtime/admin/routes.h"

namespace crp::admin {
namespace {

const std::string kAdminToken = "admin-token-0123456789";
const std::string kNotifyToken = "notify-token-0123456789";

class NoView : public AdminView {
 public:
  Readiness readiness() const override { return {true, "ready"}; }
  void for_each_challenge(
      const std::function<void(const Challenge&, std::int32_t)>&) const override {}
  const Challenge* find_challenge(const std::string&, std::int32_t&) const override {
    return nullptr;
  }
  Instant now() const override { return *parse_iso8601("2027-02-01T12:00:00Z"); }
};

std::string receipt(const std::string& status) {
  return R"({"id":"740e5834-3a29-46b4-9a6f-16142fde533a","reference":"ROT:1:practitioner",)"
         R"("to":"sw@authority.example","status":")" +
         status + R"(","notification_type":"email"})";
}

struct NotifyCallbackTest : ::testing::Test {
  NoView view;
  MetricsRegistry metrics;
  std::vector<notify::Receipt> recorded;
  bool sink_ok = true;
  NotifyCallback callback{BearerToken(kNotifyToken),
                          [this](const notify::Receipt& r) {
                            recorded.push_back(r);
                            return sink_ok;
                          },
                          metrics};
  AdminRoutes routes{view, metrics, BearerToken(kAdminToken)};

  NotifyCallbackTest() { routes.set_notify_callback(&callback); }
  AdminResponse post(const std::string& body, const std::string& auth) {
    return routes.handle({"POST", "/notify/callback", auth, body});
  }
};

TEST_F(NotifyCallbackTest, OnlyNotifysTokenIsAccepted) {
  EXPECT_EQ(post(receipt("delivered"), "").status, 401u);
  EXPECT_EQ(post(receipt("delivered"), "Bearer " + kAdminToken).status, 401u);
  EXPECT_EQ(post(receipt("delivered"), "Bearer " + kNotifyToken + "x").status, 401u);
  EXPECT_EQ(post(receipt("delivered"), "Bearer " + kNotifyToken).status, 200u);
  // And Notify's token opens nothing under /v1.
  EXPECT_EQ(
      routes.handle({"GET", "/v1/challenges?overdue=true", "Bearer " + kNotifyToken, ""}).status,
      401u);
}

TEST_F(NotifyCallbackTest, OnlyAPermanentFailureReachesTheSink) {
  for (const char* s : {"delivered", "temporary-failure", "technical-failure"})
    EXPECT_EQ(post(receipt(s), "Bearer " + kNotifyToken).status, 200u) << s;
  EXPECT_TRUE(recorded.empty());
  EXPECT_EQ(post(receipt("permanent-failure"), "Bearer " + kNotifyToken).status, 200u);
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].reference, "ROT:1:practitioner");
  EXPECT_EQ(recorded[0].id, "740e5834-3a29-46b4-9a6f-16142fde533a");
  const std::string text = metrics.render();
  EXPECT_NE(text.find(R"(crp_notify_receipts_total{status="permanent-failure"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(crp_notify_receipts_total{status="delivered"} 1)"), std::string::npos);
}

TEST_F(NotifyCallbackTest, UnrecordedFailureAnswers503SoNotifyCallsAgain) {
  sink_ok = false;
  EXPECT_EQ(post(receipt("permanent-failure"), "Bearer " + kNotifyToken).status, 503u);
  sink_ok = true;
  EXPECT_EQ(post(receipt("permanent-failure"), "Bearer " + kNotifyToken).status, 200u);
  EXPECT_EQ(recorded.size(), 2u);
}

TEST_F(NotifyCallbackTest, MalformedBodiesAndOtherMethodsAreRefused) {
  EXPECT_EQ(post("{", "Bearer " + kNotifyToken).status, 400u);
  EXPECT_EQ(post(R"({"status":"delivered"})", "Bearer " + kNotifyToken).status, 400u);
  EXPECT_EQ(routes.handle({"GET", "/notify/callback", "Bearer " + kNotifyToken, ""}).status, 405u);
  // An unknown status is counted as "other": a caller cannot grow the label set.
  EXPECT_EQ(post(receipt("made-up"), "Bearer " + kNotifyToken).status, 200u);
  EXPECT_NE(metrics.render().find(R"(status="other")"), std::string::npos);
  EXPECT_TRUE(recorded.empty());
}

TEST(NotifyCallbackRoute, AbsentWithoutACallback) {
  NoView view;
  MetricsRegistry metrics;
  AdminRoutes routes{view, metrics, BearerToken(kAdminToken)};
  EXPECT_EQ(
      routes.handle({"POST", "/notify/callback", "Bearer " + kNotifyToken, receipt("x")}).status,
      405u);  // no such POST route: only GET exists
}

}  // namespace
}  // namespace crp::admin
