#include "connectors/webhooks/https_client.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <deque>
#include <stdexcept>

#include "connectors/webhooks/retry_after.h"
#include "connectors/webhooks/signature.h"

namespace crp::webhooks {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr std::size_t kExcerptBytes = 256;
// The response body is read whole (so the connection can be reused) but a
// partner cannot make the client buffer more than this.
constexpr std::uint64_t kMaxResponseBody = 1 << 20;

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// At most kExcerptBytes, cut on a UTF-8 character boundary.
std::string excerpt(const std::string& body) {
  if (body.size() <= kExcerptBytes) return body;
  std::size_t cut = kExcerptBytes;
  while (cut > 0 && (static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80) --cut;
  return body.substr(0, cut);
}

}  // namespace

std::shared_ptr<ssl::context> make_tls_context(const Partner& partner) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  if (SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION) != 1) {
    throw std::runtime_error("cannot require TLS 1.2 for partner " + partner.id);
  }
  ctx->set_verify_mode(ssl::verify_peer);
  error_code ec;
  if (partner.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) throw std::runtime_error("cannot load the system CA certificates: " + ec.message());
  } else {
    ctx->load_verify_file(partner.ca_file, ec);
    if (ec)
      throw std::runtime_error("cannot load CA file " + partner.ca_file + ": " + ec.message());
  }
  return ctx;
}

OutgoingRequest make_request(const Partner& partner, const std::string& webhook_id,
                             std::int64_t now_s, const std::string& body) {
  OutgoingRequest r;
  r.headers = {{"content-type", "application/json"},
               {"webhook-id", webhook_id},
               {"webhook-timestamp", std::to_string(now_s)},
               {"webhook-signature", sign(partner.secrets, webhook_id, now_s, body)}};
  r.body = body;
  return r;
}

// One connection: TLS (or plain TCP for an allowed loopback http:// URL).
struct Connection {
  // `tls_context` null: a plain TCP connection.
  Connection(asio::io_context& io, ssl::context* tls_context) {
    if (tls_context) {
      tls_stream.emplace(io, *tls_context);
    } else {
      plain_stream.emplace(io);
    }
  }
  beast::tcp_stream& tcp() {
    return tls_stream ? beast::get_lowest_layer(*tls_stream) : *plain_stream;
  }

  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream;
  std::optional<beast::tcp_stream> plain_stream;
  beast::flat_buffer buffer;
  bool hostname_mismatch = false;
};

// The client's state, shared with every pending handler so that a handler
// completing after the PartnerClient is gone finds `stopped` and does nothing.
struct PartnerClient::Impl : std::enable_shared_from_this<PartnerClient::Impl> {
  struct Pending {
    OutgoingRequest request;
    std::function<void(AttemptResult)> done;
  };
  // One request being attempted.
  struct Exchange {
    Pending pending;
    std::shared_ptr<Connection> connection;
    bool reused = false;
    Clock::time_point started;
    Clock::time_point deadline;
    http::request<http::string_body> request;
    std::optional<http::response_parser<http::string_body>> parser;
    // Name resolution has no socket to time out: its own resolver, cancelled
    // by this timer at the deadline, so DNS counts inside the request's timeout.
    std::unique_ptr<tcp::resolver> resolver;
    std::unique_ptr<asio::steady_timer> resolve_timer;
  };

  Impl(asio::io_context& io, const Partner& p)
      : io(io), partner(p), tls(p.endpoint.scheme == "https"), rate_timer(io) {
    if (tls) ctx = make_tls_context(p);
    tokens = bucket_size();
    refilled_at = Clock::now();
  }

  asio::io_context& io;
  const Partner partner;
  const bool tls;
  std::shared_ptr<ssl::context> ctx;
  std::deque<Pending> queue;
  std::vector<std::shared_ptr<Connection>> idle;
  std::vector<std::weak_ptr<Connection>> open;  // to close everything on stop
  std::size_t in_flight = 0;
  bool stopped = false;
  // Token bucket (rate_limit_per_s > 0): up to one second's worth of burst.
  double tokens = 0;
  Clock::time_point refilled_at;
  asio::steady_timer rate_timer;
  bool rate_timer_armed = false;

  double bucket_size() const { return std::max(1.0, partner.rate_limit_per_s); }

  bool take_token() {
    if (partner.rate_limit_per_s <= 0) return true;
    const auto now = Clock::now();
    tokens =
        std::min(bucket_size(), tokens + std::chrono::duration<double>(now - refilled_at).count() *
                                             partner.rate_limit_per_s);
    refilled_at = now;
    if (tokens < 1.0) return false;
    tokens -= 1.0;
    return true;
  }

  void pump() {
    while (!stopped && !queue.empty() &&
           in_flight < static_cast<std::size_t>(partner.max_in_flight)) {
      if (!take_token()) {
        wait_for_token();
        return;
      }
      auto x = std::make_shared<Exchange>();
      x->pending = std::move(queue.front());
      queue.pop_front();
      ++in_flight;
      start(std::move(x));
    }
  }

  void wait_for_token() {
    if (rate_timer_armed) return;
    rate_timer_armed = true;
    const double missing = 1.0 - tokens;
    rate_timer.expires_after(std::chrono::microseconds(
        static_cast<std::int64_t>(missing / partner.rate_limit_per_s * 1e6) + 1));
    rate_timer.async_wait([self = shared_from_this()](error_code) {
      self->rate_timer_armed = false;
      self->pump();
    });
  }

  void start(std::shared_ptr<Exchange> x) {
    x->started = Clock::now();
    x->deadline = x->started + partner.timeout;
    auto& req = x->request;
    req.method(http::verb::post);
    req.target(partner.endpoint.target);
    req.version(11);
    const bool default_port = partner.endpoint.port == (tls ? "443" : "80");
    const std::string host = partner.endpoint.host.find(':') != std::string::npos
                                 ? "[" + partner.endpoint.host + "]"
                                 : partner.endpoint.host;
    req.set(http::field::host, default_port ? host : host + ":" + partner.endpoint.port);
    req.set(http::field::user_agent, "crp-adapter");
    if (auto at_send = std::move(x->pending.request.at_send)) at_send(x->pending.request);
    for (const auto& [name, value] : x->pending.request.headers) req.set(name, value);
    req.keep_alive(true);
    req.body() = std::move(x->pending.request.body);
    req.prepare_payload();
    send(std::move(x));
  }

  void send(std::shared_ptr<Exchange> x) {
    if (!idle.empty()) {
      x->connection = std::move(idle.back());
      idle.pop_back();
      x->reused = true;
      write(std::move(x));
    } else {
      connect(std::move(x));
    }
  }

  void connect(std::shared_ptr<Exchange> x) {
    x->reused = false;
    x->connection = std::make_shared<Connection>(io, ctx.get());
    std::erase_if(open, [](const std::weak_ptr<Connection>& c) { return c.expired(); });
    open.push_back(x->connection);
    auto& conn = *x->connection;
    if (tls) {
      SSL* ssl_handle = conn.tls_stream->native_handle();
      // SNI names a host, never an address (RFC 6066).
      if (!is_ip_literal(partner.endpoint.host) &&
          !SSL_set_tlsext_host_name(ssl_handle, partner.endpoint.host.c_str())) {
        return finish(std::move(x), {}, "tls: cannot set SNI");
      }
      Connection* raw = &conn;
      conn.tls_stream->set_verify_callback(
          [raw, check = ssl::host_name_verification(partner.endpoint.host)](
              bool preverified, ssl::verify_context& vc) mutable {
            const bool ok = check(preverified, vc);
            if (preverified && !ok) raw->hostname_mismatch = true;
            return ok;
          });
    }
    conn.tcp().expires_at(x->deadline);
    x->resolver = std::make_unique<tcp::resolver>(io);
    x->resolve_timer = std::make_unique<asio::steady_timer>(io, x->deadline);
    x->resolve_timer->async_wait([weak = std::weak_ptr<Exchange>(x)](error_code ec) {
      if (auto alive = weak.lock(); alive && !ec && alive->resolver) alive->resolver->cancel();
    });
    x->resolver->async_resolve(
        partner.endpoint.host, partner.endpoint.port,
        [self = shared_from_this(), x](error_code ec, tcp::resolver::results_type results) mutable {
          if (self->stopped) return;
          x->resolve_timer->cancel();
          if (ec == asio::error::operation_aborted && Clock::now() >= x->deadline)
            ec = beast::error::timeout;
          if (ec) return self->finish(std::move(x), ec, "resolve failed");
          auto& conn = *x->connection;
          conn.tcp().expires_at(x->deadline);
          conn.tcp().async_connect(results, [self, x](error_code ec, const tcp::endpoint&) mutable {
            if (self->stopped) return;
            if (ec) return self->finish(std::move(x), ec, "connect failed");
            self->handshake(std::move(x));
          });
        });
  }

  void handshake(std::shared_ptr<Exchange> x) {
    if (!tls) return write(std::move(x));
    auto& conn = *x->connection;
    conn.tcp().expires_at(x->deadline);
    conn.tls_stream->async_handshake(
        ssl::stream_base::client, [self = shared_from_this(), x](error_code ec) mutable {
          if (self->stopped) return;
          if (ec) return self->finish(std::move(x), ec, "tls handshake failed");
          self->write(std::move(x));
        });
  }

  template <class Handler>
  void async_write_request(Exchange& x, Handler&& h) {
    auto& conn = *x.connection;
    conn.tcp().expires_at(x.deadline);
    if (tls) {
      http::async_write(*conn.tls_stream, x.request, std::forward<Handler>(h));
    } else {
      http::async_write(*conn.plain_stream, x.request, std::forward<Handler>(h));
    }
  }

  template <class Handler>
  void async_read_response(Exchange& x, Handler&& h) {
    auto& conn = *x.connection;
    conn.tcp().expires_at(x.deadline);
    if (tls) {
      http::async_read(*conn.tls_stream, conn.buffer, *x.parser, std::forward<Handler>(h));
    } else {
      http::async_read(*conn.plain_stream, conn.buffer, *x.parser, std::forward<Handler>(h));
    }
  }

  void write(std::shared_ptr<Exchange> x) {
    x->parser.emplace();
    x->parser->body_limit(kMaxResponseBody);
    auto& ex = *x;
    async_write_request(ex, [self = shared_from_this(), x](error_code ec, std::size_t) mutable {
      if (self->stopped) return;
      if (ec) return self->failed_on_connection(std::move(x), ec, "write failed");
      auto& ex = *x;
      self->async_read_response(ex, [self, x](error_code ec, std::size_t) mutable {
        if (self->stopped) return;
        if (ec) return self->failed_on_connection(std::move(x), ec, "read failed");
        self->respond(std::move(x));
      });
    });
  }

  // A pooled connection the partner closed while it was idle fails on first
  // use; that is not the partner failing the request, so try once on a fresh
  // connection (a webhook may arrive twice anyway: receivers de-duplicate by webhook-id).
  void failed_on_connection(std::shared_ptr<Exchange> x, error_code ec, const char* what) {
    const bool stale = x->reused && Clock::now() < x->deadline &&
                       (ec == asio::error::eof || ec == asio::error::connection_reset ||
                        ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated ||
                        ec == http::error::end_of_stream);
    if (stale) {
      close(*x->connection);
      x->connection.reset();
      return connect(std::move(x));
    }
    finish(std::move(x), ec, what);
  }

  void respond(std::shared_ptr<Exchange> x) {
    auto response = x->parser->release();
    AttemptResult r;
    r.status = static_cast<int>(response.result_int());
    r.body_excerpt = excerpt(response.body());
    r.body = std::move(response.body());
    if (auto it = response.find(http::field::retry_after); it != response.end()) {
      r.retry_after = parse_retry_after(std::string(it->value()), std::chrono::system_clock::now());
    }
    r.latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - x->started);
    if (response.keep_alive() && idle.size() < static_cast<std::size_t>(partner.max_in_flight)) {
      x->connection->tcp().expires_never();
      idle.push_back(std::move(x->connection));
    } else {
      close(*x->connection);
    }
    complete(std::move(x), std::move(r));
  }

  void finish(std::shared_ptr<Exchange> x, error_code ec, const std::string& what) {
    AttemptResult r;
    r.transport_error = describe(ec, what, x->connection.get());
    r.latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - x->started);
    if (x->connection) close(*x->connection);
    complete(std::move(x), std::move(r));
  }

  static std::string describe(error_code ec, const std::string& what, const Connection* conn) {
    if (ec == beast::error::timeout) return "timeout";
    if (ec == asio::error::connection_reset) return "connection reset";
    if (ec == asio::error::connection_refused) return "connection refused";
    if (ec == asio::error::eof || ec == http::error::end_of_stream ||
        ec == ssl::error::stream_truncated) {
      return "connection closed";
    }
    if (ec.category() == asio::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
      return conn && conn->hostname_mismatch ? "certificate hostname mismatch"
                                             : "certificate verify failed";
    }
    if (ec == http::error::body_limit) return "response body too large";
    return ec ? what + ": " + ec.message() : what;
  }

  void complete(std::shared_ptr<Exchange> x, AttemptResult r) {
    --in_flight;
    auto done = std::move(x->pending.done);
    x.reset();
    pump();
    if (done) done(std::move(r));
  }

  static void close(Connection& c) {
    error_code ignored;
    c.tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    c.tcp().close();
  }

  void stop() {
    stopped = true;
    queue.clear();
    rate_timer.cancel();
    for (auto& weak : open) {
      if (auto c = weak.lock()) close(*c);
    }
    idle.clear();
    open.clear();
  }
};

PartnerClient::PartnerClient(asio::io_context& io, const Partner& partner)
    : impl_(std::make_shared<Impl>(io, partner)) {}

PartnerClient::~PartnerClient() {
  impl_->stop();
}

void PartnerClient::post(OutgoingRequest request, std::function<void(AttemptResult)> done) {
  impl_->queue.push_back({std::move(request), std::move(done)});
  impl_->pump();
}

std::size_t PartnerClient::in_flight() const {
  return impl_->in_flight;
}
std::size_t PartnerClient::queued() const {
  return impl_->queue.size();
}

}  // namespace crp::webhooks
