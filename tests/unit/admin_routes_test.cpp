// The admin API's routes (auth, readiness, challenge views without personal
// data) and the HTTP server's limits (413, 429, keep-alive), the latter over
// a real socket with Boost.Beast's own client.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "adapter/json/json.h"
#include "adapter/runtime/admin/bearer_token.h"
#include "adapter/runtime/admin/challenge_view.h"
#include "adapter/runtime/admin/http_server.h"
#include "adapter/runtime/admin/rate_limiter.h"
#include "adapter/runtime/admin/routes.h"

namespace crp::admin {
namespace {

const std::string kToken = "s3cret-token-0123456789";

Instant at(const char* iso) {
  return *parse_iso8601(iso);
}

Challenge challenge(const std::string& id, const char* due) {
  Challenge c;
  c.id = id;
  c.case_id = "CASE-" + id;
  c.protocol = "calderdale";
  c.agency = "Primary School";
  c.stage = "stage-1";
  c.due_at = at(due);
  c.contact_emails["practitioner"] = "jo.bloggs@school.example";
  c.duties.push_back({"stage-1", "acknowledge", at(due), false, false});
  c.history.push_back({at("2027-01-04T09:00:00Z"), "challenge.stage_started", "stage-1"});
  return c;
}

class FakeView : public AdminView {
 public:
  Readiness readiness() const override { return {ready, ready ? "ready" : "restoring"}; }
  void for_each_challenge(
      const std::function<void(const Challenge&, std::int32_t)>& visit) const override {
    for (const Challenge& c : challenges) visit(c, 2);
  }
  const Challenge* find_challenge(const std::string& id, std::int32_t& partition) const override {
    for (const Challenge& c : challenges) {
      if (c.id == id) {
        partition = 2;
        return &c;
      }
    }
    return nullptr;
  }
  Instant now() const override { return at("2027-02-01T12:00:00Z"); }

  bool ready = false;
  std::vector<Challenge> challenges{challenge("CH-LATE", "2027-01-11T17:00:00Z"),
                                    challenge("CH-FRESH", "2027-03-01T17:00:00Z")};
};

struct RoutesTest : ::testing::Test {
  FakeView view;
  MetricsRegistry metrics;
  AdminRoutes routes{view, metrics, BearerToken(kToken)};

  AdminResponse get(const std::string& target, const std::string& auth = "") {
    return routes.handle({"GET", target, auth});
  }
  rapidjson::Document view_of(const std::string& id) {
    const AdminResponse r = get("/v1/challenges/" + id, "Bearer " + kToken);
    EXPECT_EQ(r.status, 200u);
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    EXPECT_FALSE(d.HasParseError()) << r.body;
    return d;
  }
};

TEST_F(RoutesTest, V1RefusesMissingOrWrongTokenAndAcceptsTheRightOne) {
  EXPECT_EQ(get("/v1/challenges/CH-LATE").status, 401u);
  EXPECT_EQ(get("/v1/challenges/CH-LATE", "Bearer wrong").status, 401u);
  EXPECT_EQ(get("/v1/challenges/CH-LATE", "Bearer " + kToken + "x").status, 401u);
  EXPECT_EQ(get("/v1/challenges/CH-LATE", "Basic " + kToken).status, 401u);
  EXPECT_EQ(get("/v1/challenges/NOPE").status, 401u) << "no hint that the id does not exist";
  const AdminResponse r = get("/v1/challenges/CH-LATE", "Bearer " + kToken);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(get("/v1/challenges/CH-LATE", "bearer " + kToken).status, 200u)
      << "scheme is case-insensitive";
  const AdminResponse refused = get("/v1/challenges/CH-LATE");
  ASSERT_EQ(refused.headers.size(), 1u);
  EXPECT_EQ(refused.headers[0].first, "WWW-Authenticate");
}

TEST_F(RoutesTest, WithoutAConfiguredTokenV1IsAlwaysRefused) {
  AdminRoutes open{view, metrics, BearerToken()};
  EXPECT_EQ(open.handle({"GET", "/v1/challenges/CH-LATE", "Bearer "}).status, 401u);
  EXPECT_EQ(open.handle({"GET", "/v1/challenges/CH-LATE", ""}).status, 401u);
}

TEST_F(RoutesTest, ProbesAndMetricsNeedNoToken) {
  EXPECT_EQ(get("/healthz").status, 200u);
  EXPECT_EQ(get("/readyz").status, 503u);
  view.ready = true;
  EXPECT_EQ(get("/readyz").status, 200u);
  metrics.counter("crp_x_total", "x").with({}).inc();
  const AdminResponse m = get("/metrics");
  EXPECT_EQ(m.status, 200u);
  EXPECT_EQ(m.content_type, kPrometheusContentType);
  EXPECT_NE(m.body.find("crp_x_total 1\n"), std::string::npos);
  EXPECT_EQ(get("/nothing").status, 404u);
  EXPECT_EQ(routes.handle({"POST", "/healthz", ""}).status, 405u);
}

TEST_F(RoutesTest, ChallengeShowsStageAndDueDatesButNoPersonalData) {
  const AdminResponse r = get("/v1/challenges/CH-LATE", "Bearer " + kToken);
  ASSERT_EQ(r.status, 200u);
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  ASSERT_FALSE(d.HasParseError()) << r.body;
  EXPECT_STREQ(d["stage"].GetString(), "stage-1");
  EXPECT_STREQ(d["due_at"].GetString(), "2027-01-11T17:00:00Z");
  EXPECT_TRUE(d["overdue"].GetBool());
  EXPECT_EQ(d["duties"].Size(), 1u);
  EXPECT_TRUE(d["response_remind_at"].IsNull()) << "no reminder pending";
  EXPECT_TRUE(d["duties"][0]["remind_at"].IsNull());
  EXPECT_EQ(d["history"].Size(), 1u);
  EXPECT_EQ(d["partition"].GetInt(), 2);
  EXPECT_EQ(r.body.find("jo.bloggs"), std::string::npos);
  EXPECT_EQ(r.body.find("CASE-"), std::string::npos) << "case ids stay in the case system";
  EXPECT_EQ(get("/v1/challenges/NOPE", "Bearer " + kToken).status, 404u);
  EXPECT_EQ(get("/v1/challenges/a%2Fb", "Bearer " + kToken).status, 400u);
}

TEST_F(RoutesTest, ChallengeShowsItsPendingRemindersSoStaffCanSeeWhenTheyGo) {
  view.challenges[1].response_remind_at = at("2027-02-26T17:00:00Z");
  view.challenges[1].duties[0].remind_at = at("2027-02-27T17:00:00Z");
  const rapidjson::Document d = view_of("CH-FRESH");
  ASSERT_TRUE(d.IsObject());
  EXPECT_STREQ(d["response_remind_at"].GetString(), "2027-02-26T17:00:00Z");
  EXPECT_STREQ(d["duties"][0]["remind_at"].GetString(), "2027-02-27T17:00:00Z");
}

TEST_F(RoutesTest, OverdueListHasOnlyOverdueChallenges) {
  const AdminResponse r = get("/v1/challenges?overdue=true", "Bearer " + kToken);
  ASSERT_EQ(r.status, 200u);
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  ASSERT_EQ(d["count"].GetInt(), 1);
  EXPECT_STREQ(d["challenges"][0]["id"].GetString(), "CH-LATE");
  EXPECT_EQ(get("/v1/challenges", "Bearer " + kToken).status, 400u);
}

TEST(Overdue, ClosedIsNeverOverdueADoneOrSupersededDutyDoesNotCountAnUnmadeDecisionDoes) {
  Challenge c = challenge("X", "2027-03-01T17:00:00Z");
  const Instant now = at("2027-02-01T12:00:00Z");
  EXPECT_FALSE(is_overdue(c, now));
  c.duties[0].due = at("2027-01-01T00:00:00Z");
  EXPECT_TRUE(is_overdue(c, now));
  c.duties[0].done = true;
  EXPECT_FALSE(is_overdue(c, now));
  // A duty whose stage was left is not owed any more.
  c.duties[0].done = false;
  c.duties[0].superseded = true;
  EXPECT_FALSE(is_overdue(c, now));
  // A decision not recorded by its date is drift.
  c.decide_due_at = at("2027-01-31T17:00:00Z");
  EXPECT_TRUE(is_overdue(c, now));
  c.decide_due_at = at("2027-02-05T17:00:00Z");
  EXPECT_FALSE(is_overdue(c, now));
  c.decision_overdue = true;
  EXPECT_TRUE(is_overdue(c, now));
  c.decision_overdue = false;
  c.process_overdue = true;
  EXPECT_TRUE(is_overdue(c, now));
  c.phase = Phase::closed;
  EXPECT_FALSE(is_overdue(c, now));
}

TEST(BearerTokenFile, ReadsOneLineAndRefusesBadFilesNamingTheConfig) {
  const auto dir = std::filesystem::temp_directory_path() / "crp-admin-token-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "good") << kToken << "\n";
  std::ofstream(dir / "short") << "abc\n";
  EXPECT_TRUE(
      BearerToken::from_file((dir / "good").string(), "svc.json").accepts("Bearer " + kToken));
  try {
    BearerToken::from_file((dir / "short").string(), "svc.json");
    FAIL() << "a short token was accepted";
  } catch (const json::ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("svc.json"), std::string::npos) << what;
    EXPECT_NE(what.find("/admin/token_file"), std::string::npos) << what;
    EXPECT_EQ(what.find("abc"), std::string::npos) << "never echo the token";
  }
  EXPECT_THROW(BearerToken::from_file((dir / "missing").string(), "svc.json"), json::ConfigError);
  std::filesystem::remove_all(dir);
}

TEST(RateLimiter, AllowsABurstOfTwiceTheRateThenRefillsPerClient) {
  RateLimiter limiter(5);
  const auto t0 = RateLimiter::Clock::now();
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += limiter.allow("10.0.0.1", t0);
  EXPECT_EQ(allowed, 10);
  EXPECT_TRUE(limiter.allow("10.0.0.2", t0)) << "another client has its own bucket";
  EXPECT_FALSE(limiter.allow("10.0.0.1", t0 + std::chrono::milliseconds(100)));
  EXPECT_TRUE(limiter.allow("10.0.0.1", t0 + std::chrono::milliseconds(250)));
  EXPECT_TRUE(limiter.allow("10.0.0.3", t0 + std::chrono::minutes(5)));
  EXPECT_EQ(limiter.clients(), 1u) << "idle clients are forgotten";
}

// ---- the server over a real socket ----------------------------------------

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

struct ServerTest : ::testing::Test {
  FakeView view;
  MetricsRegistry metrics;
  AdminRoutes routes{view, metrics, BearerToken(kToken)};
  boost::asio::io_context io;
  ServerLimits limits{1024, 3, std::chrono::milliseconds(2000), 64};
  std::unique_ptr<AdminServer> server;
  std::thread loop;

  void start() {
    server = std::make_unique<AdminServer>(io, "127.0.0.1", 0, routes, metrics, limits);
    loop = std::thread([this] { io.run(); });
  }
  void TearDown() override {
    io.stop();
    if (loop.joinable()) loop.join();
  }

  // Sends requests on one connection; returns their statuses.
  std::vector<unsigned> exchange(std::vector<http::request<http::string_body>> requests) {
    boost::asio::io_context client_io;
    beast::tcp_stream stream(client_io);
    stream.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server->port()));
    std::vector<unsigned> statuses;
    beast::flat_buffer buffer;
    for (auto& req : requests) {
      req.prepare_payload();
      http::write(stream, req);
      http::response<http::string_body> res;
      beast::error_code ec;
      http::read(stream, buffer, res, ec);
      if (ec) break;
      statuses.push_back(res.result_int());
    }
    return statuses;
  }
  static http::request<http::string_body> get(const std::string& target,
                                              const std::string& auth = "") {
    http::request<http::string_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "localhost");
    if (!auth.empty()) req.set(http::field::authorization, auth);
    return req;
  }
};

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnectionThenRateLimits) {
  start();
  // Burst of 2 x 3 per second: six pass, the seventh is refused.
  const auto statuses = exchange({get("/healthz"), get("/v1/challenges/CH-LATE"),
                                  get("/v1/challenges/CH-LATE", "Bearer " + kToken), get("/readyz"),
                                  get("/metrics"), get("/healthz"), get("/healthz")});
  EXPECT_EQ(statuses, (std::vector<unsigned>{200, 401, 200, 503, 200, 200, 429}));
}

TEST_F(ServerTest, RequestsLargerThanTheLimitGet413) {
  start();
  auto big = get("/healthz");
  big.method(http::verb::post);
  big.body() = std::string(4096, 'x');
  EXPECT_EQ(exchange({big}), std::vector<unsigned>{413});
  auto fat_header = get("/healthz");
  fat_header.set("X-Padding", std::string(2048, 'y'));
  EXPECT_EQ(exchange({fat_header}), std::vector<unsigned>{413});
  EXPECT_EQ(exchange({get("/healthz")}), std::vector<unsigned>{200});
}

TEST_F(ServerTest, RefusesAnAddressInUseNamingIt) {
  start();
  try {
    AdminServer second(io, "127.0.0.1", server->port(), routes, metrics, limits);
    FAIL() << "bound the same port twice";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(server->port())), std::string::npos);
  }
}

}  // namespace
}  // namespace crp::admin
