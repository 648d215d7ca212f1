// Partner webhooks: the cost of signing, and deliveries per second to a real
// HTTPS receiver on 127.0.0.1 (in-process, its own thread, verification on).
//   build/bench/webhook_bench --benchmark_min_time=1
// Baselines in the same run: a bare HMAC-SHA256 of the same bytes (signing),
// and a fresh TLS connection per request (delivery).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "connectors/notify/notify_channel.h"
#include "connectors/webhooks/delivery.h"
#include "connectors/webhooks/https_client.h"
#include "connectors/webhooks/signature.h"
#include "tests/unit/webhooks/https_test_server.h"
#include "tests/unit/webhooks/test_pki.h"

namespace crp::webhooks {
namespace {

const std::string kKeyA = *decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
const std::string kKeyB = *decode_secret("whsec_aGVsbG8gd29ybGQgbmV3IGtleSEhISEhISE=");

// A typical body: a partnership referral with every field a partner may see.
std::string typical_body() {
  Partner p;
  p.id = "rscp-business-unit";
  p.allowed_fields = {"route", "challenge_id", "case_id", "protocol",    "agency",
                      "stage", "stage_label",  "due_at",  "occurred_at", "categories"};
  PartnerRegistry r;
  r.partners.push_back(p);
  const std::string outbox =
      R"j({"route":"rscp_business_unit","delivery_id":"ROT-2026-0117:7","type":"challenge.stage_started",)j"
      R"j("challenge_id":"ROT-2026-0117","case_id":"LCS-5512873","protocol":"rotherham","agency":"health",)j"
      R"j("stage":"stage3","stage_label":"Stage 3 (Head of Service or equivalent)","due_at":"2027-01-12T17:00:00Z",)j"
      R"j("occurred_at":"2027-01-06T09:00:00Z","categories":["core_groups_not_held","no_safety_plan"]})j";
  return fan_out(outbox, r, "https://crp.rotherham.example.gov.uk/adapter")[0].body;
}

const std::string kId = "msg_ROT-2026-0117_7_rscp-business-unit";

void BM_Sign_BareHmacSha256(benchmark::State& state) {
  const std::string content = kId + ".1700000000." + typical_body();
  for (auto _ : state) benchmark::DoNotOptimize(hmac_sha256(kKeyA, content));
  state.SetLabel(std::to_string(content.size()) + " bytes");
}
BENCHMARK(BM_Sign_BareHmacSha256);

void BM_Sign_OneKey(benchmark::State& state) {
  const std::string body = typical_body();
  const std::vector<std::string> keys{kKeyA};
  for (auto _ : state) benchmark::DoNotOptimize(sign(keys, kId, 1700000000, body));
  state.SetLabel(std::to_string(body.size()) + "-byte body");
}
BENCHMARK(BM_Sign_OneKey);

void BM_Sign_TwoKeysDuringRotation(benchmark::State& state) {
  const std::string body = typical_body();
  const std::vector<std::string> keys{kKeyB, kKeyA};
  for (auto _ : state) benchmark::DoNotOptimize(sign(keys, kId, 1700000000, body));
}
BENCHMARK(BM_Sign_TwoKeysDuringRotation);

// One receiver for the whole run; a CA file the client trusts.
struct Receiver {
  crp::test::TestCa ca{"crp bench CA"};
  crp::test::PemPair cert = ca.issue("127.0.0.1", "IP:127.0.0.1");
  std::string ca_file = (std::filesystem::temp_directory_path() /
                         ("crp-bench-ca-" + std::to_string(::getpid()) + ".pem"))
                            .string();
  std::atomic<bool> close_each{false};
  std::atomic<bool> as_notify{false};  // 201 with a notification id, as GOV.UK Notify answers
  crp::test::HttpsTestServer server{cert.cert_pem, cert.key_pem,
                                    [this](const crp::test::ReceivedRequest&) {
                                      crp::test::Reply r;
                                      r.status = 204;
                                      if (as_notify) {
                                        r.status = 201;
                                        r.body = R"({"id":"740e5834-3a29-46b4-9a6f-16142fde533a",)"
                                                 R"("reference":"r","content":{},"uri":"u"})";
                                      }
                                      r.close = close_each;
                                      return r;
                                    },
                                    false};
  Receiver() { std::ofstream(ca_file) << ca.cert_pem(); }
  ~Receiver() { std::filesystem::remove(ca_file); }
};

Receiver& receiver() {
  static Receiver r;
  return r;
}

// Each iteration signs and delivers a batch of deliveries, at most
// max_in_flight at once; items/s is deliveries per second.
void deliver(benchmark::State& state, bool fresh_connection_each) {
  Receiver& rx = receiver();
  rx.close_each = fresh_connection_each;
  Partner p;
  p.id = "bench";
  p.url = "https://127.0.0.1:" + std::to_string(rx.server.port()) + "/hook";
  std::string error;
  p.endpoint = *parse_endpoint(p.url, error);
  p.secrets = {kKeyA};
  p.ca_file = rx.ca_file;
  p.max_in_flight = static_cast<int>(state.range(0));
  const std::string body = typical_body();
  constexpr int kBatch = 500;
  boost::asio::io_context io;
  PartnerClient client(io, p);
  std::int64_t delivered = 0, failed = 0;
  const std::size_t accepts_before = rx.server.accepts();
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      client.post(make_request(p, kId, 1700000000, body), [&](AttemptResult r) {
        if (r.status == 204) {
          ++delivered;
        } else {
          ++failed;
        }
      });
    }
    io.run();
    io.restart();
  }
  if (failed > 0) state.SkipWithError("some deliveries failed");
  state.SetItemsProcessed(delivered);
  state.counters["connections"] = static_cast<double>(rx.server.accepts() - accepts_before);
}

// GOV.UK Notify's channel (connectors/notify): the same client, plus the
// JWT (one per second) and the response body parsed for Notify's id; the
// rate limit set out of the way so the channel itself is measured.
void BM_Notify_KeepAlive(benchmark::State& state) {
  Receiver& rx = receiver();
  rx.close_each = false;
  rx.as_notify = true;
  crp::notify::NotifySettings n;
  std::string error;
  n.base_url = "https://127.0.0.1:" + std::to_string(rx.server.port());
  n.endpoint = *parse_endpoint(n.base_url + crp::notify::kEmailPath, error);
  n.ca_file = rx.ca_file;
  n.max_in_flight = static_cast<int>(state.range(0));
  n.rate_limit_per_minute = 1'000'000'000;
  const crp::notify::ApiKey key{"26785a09-ab16-4eb0-8407-a37497a57506",
                                "3d844edf-8d35-48ac-975b-e847b4f122b0"};
  crp::delivery::Job job;
  job.partner_id = "notify";
  job.webhook_id = "CH-1:2:practitioner";
  job.body =
      R"({"template_id":"6f1c2a52-0c3e-4d2b-9a8e-0b1c2d3e4f50","email_address":)"
      R"("social.work.duty@authority.example","personalisation":{"case_reference":"LCS-6620149",)"
      R"("protocol":"Rotherham Practice Resolution Protocol","stage_label":"Stage 1",)"
      R"("recipient_role":"Responsible practitioner","copy":"no","reason":"Stage 1 raised; )"
      R"(response due 2027-02-15","due_date":"2027-02-15","link":)"
      R"("https://casesystem.example.gov.uk/cases/LCS-6620149"},"reference":"CH-1:2:practitioner"})";
  constexpr int kBatch = 500;
  boost::asio::io_context io;
  crp::notify::NotifyChannel channel(io, n, key);
  std::int64_t delivered = 0, failed = 0;
  const std::size_t accepts_before = rx.server.accepts();
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      channel.attempt(job, [&](crp::delivery::Outcome o) {
        if (o.kind == crp::delivery::Outcome::Kind::delivered && !o.reference.empty()) {
          ++delivered;
        } else {
          ++failed;
        }
      });
    }
    io.run();
    io.restart();
  }
  rx.as_notify = false;
  if (failed > 0) state.SkipWithError("some sends failed");
  state.SetItemsProcessed(delivered);
  state.counters["connections"] = static_cast<double>(rx.server.accepts() - accepts_before);
}
BENCHMARK(BM_Notify_KeepAlive)
    ->ArgName("max_in_flight")
    ->Arg(8)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_Deliver_KeepAlive(benchmark::State& state) {
  deliver(state, false);
}
BENCHMARK(BM_Deliver_KeepAlive)
    ->ArgName("max_in_flight")
    ->Arg(8)
    ->Arg(32)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_Deliver_FreshTlsConnectionEach(benchmark::State& state) {
  deliver(state, true);
}
BENCHMARK(BM_Deliver_FreshTlsConnectionEach)
    ->ArgName("max_in_flight")
    ->Arg(8)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crp::webhooks
