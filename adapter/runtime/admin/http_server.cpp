#include "adapter/runtime/admin/http_server.h"

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <list>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace crp::admin {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Named, not anonymous: AdminServer::Shared (external linkage) lists sessions.
namespace detail {
class Session;
}

struct AdminServer::Shared {
  const AdminRoutes* routes;  // null once the server is gone
  ServerLimits limits;
  RateLimiter limiter;
  int sessions = 0;
  CounterFamily& requests;
  CounterFamily& shed;
  // Open sessions, oldest first, and how many each address has open.
  std::list<std::weak_ptr<detail::Session>> open;
  std::unordered_map<std::string, int> per_client;
};

namespace detail {

using Clock = std::chrono::steady_clock;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::string client, std::shared_ptr<AdminServer::Shared> shared)
      : stream_(std::move(socket)),
        shared_(std::move(shared)),
        client_(std::move(client)),
        deadline_(Clock::now() + shared_->limits.connection_deadline) {}
  ~Session() { unregister(); }

  void start() {
    slot_ = shared_->open.insert(shared_->open.end(), weak_from_this());
    ++shared_->per_client[client_];
    ++shared_->sessions;
    registered_ = true;
    read();
  }

  const std::string& client() const { return client_; }
  // Waiting for a request (or draining a refused one): nothing is lost by
  // closing it, so a new connection may take its slot.
  bool idle() const { return waiting_; }

  void evict() { close(); }

 private:
  // Every timer of the connection ends by its absolute deadline.
  void expire_in(std::chrono::milliseconds d) {
    stream_.expires_at(std::min(Clock::now() + d, deadline_));
  }

  void read() {
    parser_.emplace();
    // Headers and body together stay within the limit.
    parser_->header_limit(static_cast<std::uint32_t>(shared_->limits.max_request_bytes));
    parser_->body_limit(shared_->limits.max_request_bytes);
    // One timer for the whole request, however slowly its bytes arrive.
    expire_in(shared_->limits.idle_timeout);
    waiting_ = true;
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    waiting_ = false;
    if (!registered_) return;  // evicted or closed meanwhile
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      close();
      return;
    }
    if (ec == http::error::body_limit || ec == http::error::header_limit ||
        ec == http::error::buffer_overflow) {
      respond(error_response(413, "request larger than admin.max_request_bytes"), 11, false);
      return;
    }
    if (ec) {
      respond(error_response(400, "malformed HTTP request"), 11, false);
      return;
    }
    const auto& req = parser_->get();
    if (!shared_->limiter.allow(client_)) {
      AdminResponse r = error_response(429, "too many requests (admin.rate_limit_per_s)");
      r.headers.emplace_back("Retry-After", "1");
      respond(r, req.version(), req.keep_alive());
      return;
    }
    if (!shared_->routes) {
      respond(error_response(503, "shutting down"), req.version(), false);
      return;
    }
    AdminRequest request{std::string(req.method_string()), std::string(req.target()),
                         std::string(req[http::field::authorization]), req.body()};
    AdminResponse response = shared_->routes->handle(request);
    if (req.method() == http::verb::head) response.body.clear();
    respond(response, req.version(), req.keep_alive());
  }

  void respond(const AdminResponse& r, unsigned version, bool keep_alive) {
    shared_->requests.with({std::to_string(r.status)}).inc();
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version);
    res->set(http::field::server, "crp-adapter");
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : r.headers) res->set(name, value);
    res->body() = r.body;
    res->keep_alive(keep_alive);
    res->prepare_payload();
    expire_in(shared_->limits.idle_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                        if (ec) {
                          self->close();
                        } else if (!res->keep_alive()) {
                          self->finish();
                        } else {
                          self->read();
                        }
                      });
  }

  // Closing with unread bytes (the rest of a refused body) would reset the
  // connection and could destroy the response before the client reads it:
  // stop sending, read and drop until the client closes or drain_timeout has
  // passed, then close. The timer is set once: a byte does not extend it.
  void finish() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    expire_in(shared_->limits.drain_timeout);
    waiting_ = true;
    drain();
  }
  void drain() {
    stream_.async_read_some(asio::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec || !self->registered_) {
                                self->close();
                              } else {
                                self->drain();
                              }
                            });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
    unregister();
  }

  // Gives the slot back; the object lives on until its last handler has run.
  void unregister() {
    if (!registered_) return;
    registered_ = false;
    waiting_ = false;
    shared_->open.erase(slot_);
    if (--shared_->per_client[client_] <= 0) shared_->per_client.erase(client_);
    --shared_->sessions;
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<AdminServer::Shared> shared_;
  std::string client_;
  const Clock::time_point deadline_;
  std::list<std::weak_ptr<Session>>::iterator slot_;
  bool registered_ = false;
  bool waiting_ = false;
  std::array<char, 4096> discard_{};
};

}  // namespace detail

namespace {

// Closes the oldest idle session (of `client`, when given) so a new
// connection can have its slot; false when every candidate is busy.
bool evict_oldest_idle(AdminServer::Shared& shared, const std::string* client) {
  for (const auto& weak : shared.open) {
    const auto session = weak.lock();
    if (session && session->idle() && (!client || session->client() == *client)) {
      session->evict();
      shared.shed.with({client ? "evicted_per_client" : "evicted_full"}).inc();
      return true;
    }
  }
  return false;
}

}  // namespace

AdminServer::AdminServer(asio::io_context& io, const std::string& host, std::uint16_t port,
                         const AdminRoutes& routes, MetricsRegistry& metrics, ServerLimits limits)
    : io_(io), acceptor_(io) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    throw std::runtime_error("admin.bind: '" + host +
                             "' is not an IP address (use 0.0.0.0, 127.0.0.1 or ::)");
  }
  const tcp::endpoint endpoint(address, port);
  const std::string where = host + ":" + std::to_string(port);
  auto fail = [&](const char* what) {
    throw std::runtime_error(std::string("admin server cannot ") + what + " " + where + ": " +
                             ec.message());
  };
  if (acceptor_.open(endpoint.protocol(), ec)) fail("open a socket for");
  if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec)) fail("configure");
  if (acceptor_.bind(endpoint, ec)) fail("bind");
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec)) fail("listen on");
  port_ = acceptor_.local_endpoint().port();
  const int rate = limits.rate_limit_per_s;
  shared_ = std::make_shared<Shared>(Shared{
      &routes,
      limits,
      RateLimiter(rate),
      0,
      metrics.counter("crp_admin_requests_total", "Admin HTTP responses by status code", {"code"}),
      metrics.counter("crp_admin_connections_shed_total",
                      "Admin connections closed at a limit: an idle one evicted for a "
                      "new one (evicted_per_client, evicted_full), or a new one refused "
                      "because every slot was busy answering (refused)",
                      {"action"}),
      {},
      {}});
  accept();
}

AdminServer::~AdminServer() {
  shared_->routes = nullptr;  // sessions still queued may outlive the routes
  beast::error_code ec;
  acceptor_.close(ec);
}

void AdminServer::accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;  // closed
    if (!ec) {
      beast::error_code remote_ec;
      const auto remote = socket.remote_endpoint(remote_ec);
      std::string client = remote_ec ? "unknown" : remote.address().to_string();
      Shared& s = *shared_;
      const auto it = s.per_client.find(client);
      bool admitted = it == s.per_client.end() || it->second < s.limits.max_sessions_per_client ||
                      evict_oldest_idle(s, &client);
      if (admitted && s.sessions >= s.limits.max_sessions) admitted = evict_oldest_idle(s, nullptr);
      if (admitted) {
        std::make_shared<detail::Session>(std::move(socket), std::move(client), shared_)->start();
      } else {
        s.shed.with({"refused"}).inc();  // every slot busy answering
        beast::error_code ignored;
        socket.close(ignored);
      }
    }
    accept();
  });
}

}  // namespace crp::admin
