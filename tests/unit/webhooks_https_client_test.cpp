// PartnerClient against a real HTTPS receiver on 127.0.0.1 whose CA and
// certificates are made by the test; verification stays on throughout.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "connectors/webhooks/https_client.h"
#include "connectors/webhooks/signature.h"
#include "tests/unit/webhooks/https_test_server.h"
#include "tests/unit/webhooks/test_pki.h"

namespace crp::webhooks {
namespace {

using crp::test::HttpsTestServer;
using crp::test::Reply;
using namespace std::chrono_literals;

struct Pki {
  crp::test::TestCa ca{"crp test CA"};
  crp::test::PemPair good = ca.issue("127.0.0.1", "IP:127.0.0.1,DNS:localhost");
  std::string ca_file;
  Pki() {
    ca_file = testing::TempDir() + "crp-webhooks-ca-" + std::to_string(::getpid()) + ".pem";
    std::ofstream(ca_file) << ca.cert_pem();
  }
  ~Pki() { std::filesystem::remove(ca_file); }
};

Pki& pki() {
  static Pki p;
  return p;
}

Partner partner_for(unsigned short port, int max_in_flight = 8,
                    std::chrono::milliseconds timeout = 3s) {
  Partner p;
  p.id = "test-partner";
  p.url = "https://127.0.0.1:" + std::to_string(port) + "/hook?v=1";
  std::string error;
  p.endpoint = *parse_endpoint(p.url, error);
  p.secrets = {"0123456789abcdef0123456789abcdef"};
  p.ca_file = pki().ca_file;
  p.max_in_flight = max_in_flight;
  p.timeout = timeout;
  return p;
}

Reply ok(const crp::test::ReceivedRequest&) {
  return {};
}

// Posts `n` requests at once and runs the io_context until all are answered.
std::vector<AttemptResult> post_all(PartnerClient& client, boost::asio::io_context& io,
                                    const Partner& p, int n) {
  std::vector<AttemptResult> results;
  for (int i = 0; i < n; ++i) {
    client.post(make_request(p, "msg_" + std::to_string(i), 1700000000,
                             "{\"n\":" + std::to_string(i) + "}"),
                [&results](AttemptResult r) { results.push_back(std::move(r)); });
  }
  io.run_for(20s);
  io.restart();
  return results;
}

AttemptResult post_one(const Partner& p) {
  boost::asio::io_context io;
  PartnerClient client(io, p);
  auto results = post_all(client, io, p, 1);
  if (results.size() != 1) throw std::runtime_error("no result");
  return results.front();
}

TEST(WebhooksHttpsClient, DeliversASignedPostOverVerifiedTls) {
  HttpsTestServer server(pki().good.cert_pem, pki().good.key_pem, [](const auto&) {
    Reply r;
    r.status = 202;
    r.body = "accepted";
    return r;
  });
  const Partner p = partner_for(server.port());
  AttemptResult r = post_one(p);
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.transport_error, "");
  EXPECT_EQ(r.body_excerpt, "accepted");
  EXPECT_GT(r.latency.count(), 0);

  auto received = server.received();
  ASSERT_EQ(received.size(), 1u);
  const auto& got = received[0];
  EXPECT_EQ(got.target, "/hook?v=1");
  EXPECT_EQ(got.headers.at("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(got.headers.at("content-type"), "application/json");
  EXPECT_EQ(got.headers.at("webhook-id"), "msg_0");
  EXPECT_EQ(got.headers.at("webhook-timestamp"), "1700000000");
  EXPECT_EQ(got.headers.at("webhook-signature"), sign(p.secrets, "msg_0", 1700000000, "{\"n\":0}"));
  EXPECT_EQ(got.body, "{\"n\":0}");
}

TEST(WebhooksHttpsClient, KeepAliveReusesOneConnectionForSequentialPosts) {
  HttpsTestServer server(pki().good.cert_pem, pki().good.key_pem, ok);
  const Partner p = partner_for(server.port());
  boost::asio::io_context io;
  PartnerClient client(io, p);
  int delivered = 0;
  std::function<void(AttemptResult)> next = [&](AttemptResult r) {
    if (r.status == 200) ++delivered;
    if (delivered < 20 && r.status == 200) client.post(make_request(p, "msg_x", 1, "{}"), next);
  };
  client.post(make_request(p, "msg_x", 1, "{}"), next);
  io.run_for(20s);
  EXPECT_EQ(delivered, 20);
  EXPECT_EQ(server.requests(), 20u);
  EXPECT_EQ(server.accepts(), 1u);
}

TEST(WebhooksHttpsClient, APooledConnectionThePartnerClosedIsReplacedTransparently) {
  HttpsTestServer server(pki().good.cert_pem, pki().good.key_pem, [](const auto&) {
    Reply r;
    r.drop_connection_after = true;
    return r;
  });
  const Partner p = partner_for(server.port());
  boost::asio::io_context io;
  PartnerClient client(io, p);
  std::vector<int> statuses;
  std::function<void(AttemptResult)> next = [&](AttemptResult r) {
    statuses.push_back(r.status);
    if (statuses.size() < 3) client.post(make_request(p, "msg_x", 1, "{}"), next);
  };
  client.post(make_request(p, "msg_x", 1, "{}"), next);
  io.run_for(20s);
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 200}));
  EXPECT_EQ(server.accepts(), 3u);
  EXPECT_EQ(server.requests(), 3u);
}

TEST(WebhooksHttpsClient, AtMostMaxInFlightRequestsReachThePartnerAtOnce) {
  HttpsTestServer server(pki().good.cert_pem, pki().good.key_pem, [](const auto&) {
    Reply r;
    r.delay =
        300ms;  // long enough for all three connections to be up at once, even on a loaded machine
    return r;
  });
  const Partner p = partner_for(server.port(), 3);
  boost::asio::io_context io;
  PartnerClient client(io, p);
  std::vector<std::string> order;
  for (int i = 0; i < 12; ++i) {
    client.post(make_request(p, "msg_" + std::to_string(i), 1, "{}"), [&order, i](AttemptResult r) {
      if (r.status == 200) order.push_back(std::to_string(i));
    });
  }
  EXPECT_EQ(client.in_flight(), 3u);
  EXPECT_EQ(client.queued(), 9u);
  io.run_for(20s);
  EXPECT_EQ(order.size(), 12u);
  EXPECT_EQ(server.max_concurrent(), 3u);
  EXPECT_EQ(server.accepts(), 3u);  // the three pooled connections carry every request
  // Queued requests leave the queue in the order they were posted.
  auto received = server.received();
  ASSERT_EQ(received.size(), 12u);
  for (int i = 3; i < 12; ++i) {
    int earlier =
        std::stoi(received[static_cast<std::size_t>(i) - 3].headers.at("webhook-id").substr(4));
    EXPECT_LT(earlier,
              std::stoi(received[static_cast<std::size_t>(i)].headers.at("webhook-id").substr(4)));
  }
  EXPECT_EQ(client.in_flight(), 0u);
}

TEST(WebhooksHttpsClient, ASilentPartnerTimesOut) {
  HttpsTestServer server(pki().good.cert_pem, pki().good.key_pem, [](const auto&) {
    Reply r;
    r.action = Reply::Action::hang;
    return r;
  });
  AttemptResult r = post_one(partner_for(server.port(), 8, 300ms));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "timeout");
  EXPECT_GE(r.latency, 300ms);
  EXPECT_LT(r.latency, 3s);
  EXPECT_EQ(classify(r), Verdict::retry);
}

TEST(WebhooksHttpsClient, AConnectionResetIsATransportError) {
  HttpsTestServer server(pki().good.cert_pem, pki().good.key_pem, [](const auto&) {
    Reply r;
    r.action = Reply::Action::reset;
    return r;
  });
  AttemptResult r = post_one(partner_for(server.port()));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "connection reset");
  EXPECT_EQ(classify(r), Verdict::retry);
  EXPECT_EQ(server.requests(), 1u);
}

TEST(WebhooksHttpsClient, ARefusedConnectionIsATransportError) {
  unsigned short port;
  {
    HttpsTestServer gone(pki().good.cert_pem, pki().good.key_pem, ok);
    port = gone.port();
  }
  AttemptResult r = post_one(partner_for(port));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "connection refused");
}

TEST(WebhooksHttpsClient, ARedirectIsNeverFollowed) {
  HttpsTestServer server(pki().good.cert_pem, pki().good.key_pem,
                         [](const crp::test::ReceivedRequest& req) {
                           Reply r;
                           if (req.target == "/hook?v=1") {
                             r.status = 307;
                             r.headers = {{"location", "/elsewhere"}};
                           }
                           return r;
                         });
  AttemptResult r = post_one(partner_for(server.port()));
  EXPECT_EQ(r.status, 307);
  EXPECT_EQ(server.requests(), 1u);
  EXPECT_EQ(classify(r), Verdict::retry);
}

TEST(WebhooksHttpsClient, RetryAfterIsReportedAndTheBodyExcerptIsBounded) {
  HttpsTestServer server(pki().good.cert_pem, pki().good.key_pem, [](const auto&) {
    Reply r;
    r.status = 503;
    r.headers = {{"retry-after", "120"}};
    r.body = std::string(1000, 'x');
    return r;
  });
  AttemptResult r = post_one(partner_for(server.port()));
  EXPECT_EQ(r.status, 503);
  ASSERT_TRUE(r.retry_after);
  EXPECT_EQ(*r.retry_after, 120s);
  EXPECT_EQ(r.body_excerpt, std::string(256, 'x'));
}

TEST(WebhooksHttpsClient, ACertificateFromAnUnknownCaIsRefused) {
  crp::test::TestCa stranger("someone else's CA");
  auto cert = stranger.issue("127.0.0.1", "IP:127.0.0.1");
  HttpsTestServer server(cert.cert_pem, cert.key_pem, ok);
  AttemptResult r = post_one(partner_for(server.port()));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "certificate verify failed");
  EXPECT_EQ(server.requests(), 0u);
}

TEST(WebhooksHttpsClient, ACertificateForAnotherHostIsRefused) {
  auto cert = pki().ca.issue("wrong.example", "DNS:wrong.example");
  HttpsTestServer server(cert.cert_pem, cert.key_pem, ok);
  AttemptResult r = post_one(partner_for(server.port()));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "certificate hostname mismatch");
  EXPECT_EQ(server.requests(), 0u);
}

TEST(WebhooksHttpsClient, TheRateLimitSpacesRequests) {
  HttpsTestServer server(pki().good.cert_pem, pki().good.key_pem, ok);
  Partner p = partner_for(server.port());
  p.rate_limit_per_s = 10;  // a burst of 10, then one every 100 ms
  boost::asio::io_context io;
  PartnerClient client(io, p);
  const auto start = std::chrono::steady_clock::now();
  auto results = post_all(client, io, p, 14);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(results.size(), 14u);
  EXPECT_GE(elapsed, 350ms);
}

TEST(WebhooksHttpsClient, DestroyingTheClientDropsPendingRequestsWithoutCallingBack) {
  HttpsTestServer server(pki().good.cert_pem, pki().good.key_pem, [](const auto&) {
    Reply r;
    r.delay = 200ms;
    return r;
  });
  const Partner p = partner_for(server.port(), 1);
  boost::asio::io_context io;
  int calls = 0;
  {
    PartnerClient client(io, p);
    for (int i = 0; i < 3; ++i)
      client.post(make_request(p, "msg", 1, "{}"), [&calls](AttemptResult) { ++calls; });
    io.run_for(50ms);
  }
  io.restart();
  io.run_for(500ms);
  EXPECT_EQ(calls, 0);
}

TEST(WebhooksHttpsClient, AMissingCaFileIsNamed) {
  Partner p = partner_for(443);
  p.ca_file = "/nonexistent/ca.pem";
  try {
    make_tls_context(p);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ca.pem"), std::string::npos);
  }
}

}  // namespace
}  // namespace crp::webhooks
