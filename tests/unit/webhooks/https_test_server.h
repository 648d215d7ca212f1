// A real HTTPS receiver on 127.0.0.1 for tests and benchmarks (Boost.Beast
// over Asio SSL, its own thread). It counts accepted connections and the
// requests it is handling at once, so a test can observe the client's
// keep-alive and in-flight bound from the server's side.
#pragma once

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace crp::test {

struct ReceivedRequest {
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

struct Reply {
  enum class Action { respond, reset, hang };
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0};  // before acting, without blocking other connections
  Action action = Action::respond;
  bool close = false;                  // "Connection: close": no keep-alive
  bool drop_connection_after = false;  // answers "keep-alive", then closes the idle connection
};

class HttpsTestServer {
 public:
  using Handler = std::function<Reply(const ReceivedRequest&)>;

  HttpsTestServer(const std::string& cert_pem, const std::string& key_pem, Handler handler,
                  bool record = true)
      : ctx_(boost::asio::ssl::context::tls_server),
        acceptor_(io_),
        handler_(std::move(handler)),
        record_(record) {
    ctx_.use_certificate_chain(boost::asio::buffer(cert_pem));
    ctx_.use_private_key(boost::asio::buffer(key_pem), boost::asio::ssl::context::pem);
    using boost::asio::ip::tcp;
    tcp::endpoint at(boost::asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(at.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~HttpsTestServer() {
    io_.stop();
    thread_.join();
    hung_.clear();
  }

  unsigned short port() const { return port_; }
  std::size_t accepts() const { return accepts_; }
  std::size_t requests() const { return requests_; }
  std::size_t max_concurrent() const { return max_concurrent_; }
  std::vector<ReceivedRequest> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  struct Session;

  void accept() {
    acceptor_.async_accept(
        [this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
          if (ec) return;
          ++accepts_;
          std::make_shared<Session>(*this, std::move(socket))->start();
          accept();
        });
  }

  struct Session : std::enable_shared_from_this<Session> {
    Session(HttpsTestServer& s, boost::asio::ip::tcp::socket socket)
        : server(s), stream(std::move(socket), s.ctx_), timer(s.io_) {}

    void start() {
      stream.async_handshake(boost::asio::ssl::stream_base::server,
                             [self = shared_from_this()](auto ec) {
                               if (!ec) self->read();
                             });
    }

    void read() {
      request = {};
      boost::beast::http::async_read(stream, buffer, request,
                                     [self = shared_from_this()](auto ec, std::size_t) {
                                       if (!ec) self->handle();
                                     });
    }

    void handle() {
      const std::size_t now = ++server.concurrent_;
      std::size_t seen = server.max_concurrent_;
      while (now > seen && !server.max_concurrent_.compare_exchange_weak(seen, now)) {
      }
      ++server.requests_;
      ReceivedRequest r;
      r.target = std::string(request.target());
      for (const auto& f : request) {
        std::string name(f.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        r.headers[name] = std::string(f.value());
      }
      r.body = request.body();
      reply = server.handler_(r);
      if (server.record_) {
        std::lock_guard lock(server.mutex_);
        server.received_.push_back(std::move(r));
      }
      if (reply.delay.count() > 0) {
        timer.expires_after(reply.delay);
        timer.async_wait([self = shared_from_this()](auto) { self->act(); });
      } else {
        act();
      }
    }

    void act() {
      switch (reply.action) {
        case Reply::Action::hang:
          --server.concurrent_;
          server.hung_.push_back(shared_from_this());  // open and silent until the server stops
          return;
        case Reply::Action::reset: {
          --server.concurrent_;
          auto& socket = boost::beast::get_lowest_layer(stream);
          boost::system::error_code ignored;
          socket.set_option(boost::asio::socket_base::linger(true, 0), ignored);
          socket.close(ignored);  // RST: the client sees "connection reset"
          return;
        }
        case Reply::Action::respond:
          break;
      }
      response = {};
      response.version(11);
      response.result(static_cast<unsigned>(reply.status));
      for (const auto& [name, value] : reply.headers) response.set(name, value);
      response.body() = reply.body;
      response.keep_alive(request.keep_alive() && !reply.close);
      response.prepare_payload();
      boost::beast::http::async_write(
          stream, response, [self = shared_from_this()](auto ec, std::size_t) {
            --self->server.concurrent_;
            if (self->reply.drop_connection_after) {
              boost::system::error_code ignored;
              boost::beast::get_lowest_layer(self->stream).close(ignored);
              return;
            }
            if (!ec && self->response.keep_alive()) self->read();
          });
    }

    HttpsTestServer& server;
    boost::beast::ssl_stream<boost::asio::ip::tcp::socket> stream;
    boost::asio::steady_timer timer;
    boost::beast::flat_buffer buffer;
    boost::beast::http::request<boost::beast::http::string_body> request;
    boost::beast::http::response<boost::beast::http::string_body> response;
    Reply reply;
  };

  boost::asio::io_context io_;
  boost::asio::ssl::context ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  Handler handler_;
  bool record_;
  unsigned short port_ = 0;
  std::atomic<std::size_t> accepts_{0}, requests_{0}, concurrent_{0}, max_concurrent_{0};
  mutable std::mutex mutex_;
  std::vector<ReceivedRequest> received_;
  std::vector<std::shared_ptr<Session>> hung_;  // io thread only
  std::thread thread_;
};

}  // namespace crp::test
