// HTTP/1.1 POST to one partner over TLS (Boost.Beast + Asio SSL): certificate
// and hostname verification always on (custom CA bundle optional), a
// keep-alive connection pool, at most max_in_flight requests at once (more
// are queued in order), a per-request timeout. Not thread-safe: use it from
// the io_context's thread (or a strand) only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "connectors/webhooks/attempt.h"
#include "connectors/webhooks/partner.h"

namespace crp::webhooks {

struct OutgoingRequest {
  std::vector<std::pair<std::string, std::string>>
      headers;  // webhook-id, -timestamp, -signature, ...
  std::string body;
  // Runs once, just before the request is first written (after any wait for
  // the rate limit): for a header that must be fresh when it leaves, such as
  // GOV.UK Notify's JWT. May add headers.
  std::function<void(OutgoingRequest&)> at_send;
};

// A TLS client context for a partner: system roots or `ca_file`, TLS >= 1.2,
// verify_peer. Throws std::runtime_error naming the file when it cannot load.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const Partner& partner);

class PartnerClient {
 public:
  PartnerClient(boost::asio::io_context& io, const Partner& partner);
  ~PartnerClient();
  PartnerClient(const PartnerClient&) = delete;
  PartnerClient& operator=(const PartnerClient&) = delete;

  // Queues one POST; `done` runs on the io_context with the result. Destroying
  // the client drops queued and in-flight requests without calling `done`.
  void post(OutgoingRequest request, std::function<void(AttemptResult)> done);

  std::size_t in_flight() const;
  std::size_t queued() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with pending handlers, which outlive a destroyed client
};

// Builds the request for one attempt: signs body with every partner key at `now`.
OutgoingRequest make_request(const Partner& partner, const std::string& webhook_id,
                             std::int64_t now_s, const std::string& body);

}  // namespace crp::webhooks
