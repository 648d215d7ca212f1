#include "connectors/notify/notify_channel.h"

#include <openssl/crypto.h>

#include <chrono>

#include "connectors/notify/notify_response.h"

namespace crp::notify {
namespace {

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void wipe(std::string& s) {
  OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace

webhooks::Partner notify_partner(const NotifySettings& settings) {
  webhooks::Partner p;
  p.id = kChannelId;
  p.kind = "notify";
  p.url = settings.base_url + kEmailPath;
  p.endpoint = settings.endpoint;
  p.timeout = settings.timeout;
  p.max_in_flight = settings.max_in_flight;
  p.rate_limit_per_s = settings.rate_limit_per_minute / 60.0;
  p.ca_file = settings.ca_file;
  return p;
}

NotifyChannel::NotifyChannel(boost::asio::io_context& io, const NotifySettings& settings,
                             ApiKey key)
    : key_(std::move(key)), partner_(notify_partner(settings)), client_(io, partner_) {}

NotifyChannel::~NotifyChannel() {
  wipe(key_.secret);
  wipe(token_);
}

const std::string& NotifyChannel::token(std::int64_t now_s) {
  if (now_s != token_at_) {
    token_ = jwt(key_, now_s);
    token_at_ = now_s;
  }
  return token_;
}

void NotifyChannel::attempt(const delivery::Job& job, std::function<void(delivery::Outcome)> done) {
  webhooks::OutgoingRequest request;
  request.headers = {{"content-type", "application/json"}};
  request.body = job.body;
  // The JWT is made when the request leaves the rate-limit queue: a request
  // queued behind a long burst still carries a fresh `iat`.
  request.at_send = [this](webhooks::OutgoingRequest& r) {
    r.headers.emplace_back("authorization", "Bearer " + token(now_seconds()));
  };
  client_.post(std::move(request), [done = std::move(done)](webhooks::AttemptResult r) {
    done(notify_outcome(r, std::chrono::time_point_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now())));
  });
}

}  // namespace crp::notify
