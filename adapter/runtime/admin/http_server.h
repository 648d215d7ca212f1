// The admin HTTP/1.1 server (Boost.Beast), shaped like Beast's advanced
// server example: a listener, one self-owning session per connection
// (shared_from_this), a timeout per read and write, keep-alive.
//
// It runs on its own io_context which the Kafka service polls from its
// thread between steps and between changelog reads (docs/decisions/0018):
// handlers read the engines without locks, and /readyz answers 503 while a
// restore is still going instead of hanging until it ends.
//
// Limits, before any route runs: requests larger than max_request_bytes get
// 413, clients above rate_limit_per_s get 429. At most max_sessions
// connections are open at once, at most max_sessions_per_client from one
// address, and none lives longer than connection_deadline (an absolute
// deadline: a client trickling a byte at a time cannot hold a slot). When a
// limit is reached a new connection takes the slot of the oldest one that is
// waiting for a request (from the same address when that address is at its
// cap), so a liveness probe is answered however many slow clients are
// connected; it is refused only when every slot is busy answering.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

#include "adapter/runtime/admin/metrics.h"
#include "adapter/runtime/admin/rate_limiter.h"
#include "adapter/runtime/admin/routes.h"

namespace crp::admin {

struct ServerLimits {
  std::size_t max_request_bytes = 8192;
  int rate_limit_per_s = 20;
  std::chrono::milliseconds idle_timeout{15000};  // per request read or response write
  int max_sessions = 64;
  int max_sessions_per_client = 8;                       // per remote address
  std::chrono::milliseconds connection_deadline{60000};  // from accept, never extended
  std::chrono::milliseconds drain_timeout{1000};         // after a refused request, absolute
};

class AdminServer {
 public:
  // Binds and listens at once: throws std::runtime_error naming the address
  // when it cannot (in use, not local), so the service refuses to start.
  AdminServer(boost::asio::io_context& io, const std::string& host, std::uint16_t port,
              const AdminRoutes& routes, MetricsRegistry& metrics, ServerLimits limits);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // The port actually bound (differs from the configured one when that was 0).
  std::uint16_t port() const { return port_; }

  struct Shared;  // what sessions share with the server (outlives neither)

 private:
  void accept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_;
  std::uint16_t port_ = 0;
};

}  // namespace crp::admin
