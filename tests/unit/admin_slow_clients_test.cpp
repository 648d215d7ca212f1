// The admin server under slow clients (issue 16): 200 connections trickling
// a request a byte at a time cannot keep /healthz or /metrics from answering
// within 1 s, a keep-alive client is closed at the connection's absolute
// deadline however busy it keeps it, and the drain after a refused request
// ends on time however many bytes still arrive.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapter/runtime/admin/http_server.h"
#include "adapter/runtime/admin/routes.h"

namespace crp::admin {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

class ReadyView : public AdminView {
 public:
  Readiness readiness() const override { return {true, "ready"}; }
  void for_each_challenge(
      const std::function<void(const Challenge&, std::int32_t)>&) const override {}
  const Challenge* find_challenge(const std::string&, std::int32_t&) const override {
    return nullptr;
  }
  Instant now() const override { return *parse_iso8601("2027-02-01T12:00:00Z"); }
};

struct SlowClientTest : ::testing::Test {
  ReadyView view;
  MetricsRegistry metrics;
  AdminRoutes routes{view, metrics, BearerToken("s3cret-token-0123456789")};
  asio::io_context io;
  ServerLimits limits;
  std::unique_ptr<AdminServer> server;
  std::thread loop;
  asio::io_context client_io;

  void start() {
    limits.rate_limit_per_s = 1000;  // the probes here are many; the rate limit is tested elsewhere
    server = std::make_unique<AdminServer>(io, "127.0.0.1", 0, routes, metrics, limits);
    loop = std::thread([this] { io.run(); });
  }
  void TearDown() override {
    io.stop();
    if (loop.joinable()) loop.join();
  }

  // A connected socket whose blocking reads and writes give up after `timeout`.
  std::unique_ptr<tcp::socket> connect(
      std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
    auto s = std::make_unique<tcp::socket>(client_io);
    s->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server->port()));
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(s->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(s->native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return s;
  }

  // One GET on a new connection: the status and body, or status 0 on any error.
  std::pair<unsigned, std::string> probe(const std::string& target) {
    try {
      auto s = connect();
      http::request<http::empty_body> req{http::verb::get, target, 11};
      req.set(http::field::host, "localhost");
      req.keep_alive(false);
      http::write(*s, req);
      beast::flat_buffer buffer;
      http::response<http::string_body> res;
      http::read(*s, buffer, res);
      return {res.result_int(), res.body()};
    } catch (const std::exception&) {
      return {0, ""};
    }
  }

  // Writes one byte every `every` until a write fails (the server closed the
  // connection); returns how long that took, or `give_up` if it never did.
  static std::chrono::milliseconds trickle_until_closed(tcp::socket& s,
                                                        std::chrono::milliseconds every,
                                                        std::chrono::milliseconds give_up) {
    const auto began = Clock::now();
    while (Clock::now() - began < give_up) {
      boost::system::error_code ec;
      asio::write(s, asio::buffer("a", 1), ec);
      if (ec) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began);
      }
      std::this_thread::sleep_for(every);
    }
    return give_up;
  }
};

TEST_F(SlowClientTest, ProbesAnswerWithinASecondWhile200SlowClientsTrickle) {
  start();
  std::vector<std::unique_ptr<tcp::socket>> slow;
  for (int i = 0; i < 200; ++i) {
    slow.push_back(connect());
    asio::write(*slow.back(), asio::buffer(std::string("GET /healthz HTTP/1.1\r\nX-Slow: ")));
  }
  // Every slow client keeps sending a byte of its never-ending header.
  std::atomic<bool> stop{false};
  std::thread trickler([&] {
    while (!stop) {
      for (auto& s : slow) {
        boost::system::error_code ec;
        asio::write(*s, asio::buffer("b", 1), ec);  // evicted ones fail: ignored
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  std::chrono::milliseconds slowest{0};
  std::string metrics_body;
  for (int round = 0; round < 10; ++round) {
    for (const char* target : {"/healthz", "/metrics"}) {
      const auto began = Clock::now();
      const auto [status, body] = probe(target);
      const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began);
      slowest = std::max(slowest, took);
      EXPECT_EQ(status, 200u) << target << " in round " << round;
      if (std::string(target) == "/metrics") metrics_body = body;
    }
  }
  stop = true;
  trickler.join();
  EXPECT_LT(slowest.count(), 1000) << "slowest probe";
  // The probes took the slots of slow clients, and that is counted.
  EXPECT_NE(metrics_body.find("crp_admin_connections_shed_total{action=\"evicted_per_client\"}"),
            std::string::npos)
      << metrics_body.substr(0, 2000);
}

TEST_F(SlowClientTest, AKeepAliveClientIsClosedAtTheConnectionDeadline) {
  limits.connection_deadline = std::chrono::milliseconds(1000);
  start();
  auto s = connect();
  beast::flat_buffer buffer;
  int answered = 0;
  const auto began = Clock::now();
  // Busy, not idle: a request every 100 ms would reset any per-request timer.
  while (Clock::now() - began < std::chrono::seconds(5)) {
    http::request<http::empty_body> req{http::verb::get, "/healthz", 11};
    req.set(http::field::host, "localhost");
    boost::system::error_code ec;
    http::write(*s, req, ec);
    http::response<http::string_body> res;
    if (!ec) http::read(*s, buffer, res, ec);
    if (ec) break;
    ++answered;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto lived = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began);
  EXPECT_GE(answered, 3);
  EXPECT_GE(lived.count(), 900);
  EXPECT_LT(lived.count(), 2500) << "the connection outlived its deadline";
}

TEST_F(SlowClientTest, TheDrainAfterARefusedRequestDoesNotRestartPerByte) {
  limits.max_request_bytes = 1024;
  limits.drain_timeout = std::chrono::milliseconds(500);
  start();
  auto s = connect();
  asio::write(*s, asio::buffer(std::string("POST /healthz HTTP/1.1\r\nHost: x\r\n"
                                           "Content-Length: 100000\r\n\r\n") +
                               std::string(2048, 'x')));
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(*s, buffer, res);
  EXPECT_EQ(res.result_int(), 413u);
  // A byte every 100 ms: each used to restart a 1 s drain timer, for ever.
  const auto closed_after =
      trickle_until_closed(*s, std::chrono::milliseconds(100), std::chrono::seconds(5));
  EXPECT_LT(closed_after.count(), 2000) << "the drain outlived its timeout";
}

}  // namespace
}  // namespace crp::admin
