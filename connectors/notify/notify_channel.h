// GOV.UK Notify as a delivery channel: each attempt POSTs the email record
// (already Notify's request body) to {base_url}/v2/notifications/email with
// the API-key JWT, over the webhook HTTPS client (verified TLS, keep-alive,
// the rate limit as a token bucket), and maps Notify's answer with
// notify_outcome (notify_response.h).
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>

#include "adapter/delivery/channel.h"
#include "connectors/notify/notify_jwt.h"
#include "connectors/notify/notify_settings.h"
#include "connectors/webhooks/https_client.h"

namespace crp::notify {

// The HTTPS client's view of Notify: one "partner" at the email endpoint.
webhooks::Partner notify_partner(const NotifySettings& settings);

class NotifyChannel final : public delivery::Channel {
 public:
  // Loads the CA bundle now: a bad file fails before anything runs.
  NotifyChannel(boost::asio::io_context& io, const NotifySettings& settings, ApiKey key);
  ~NotifyChannel() override;
  void attempt(const delivery::Job& job, std::function<void(delivery::Outcome)> done) override;

  // The bearer token for a request leaving now: made when the second changes,
  // so it is never more than a second old (Notify allows 30 s).
  const std::string& token(std::int64_t now_s);

 private:
  ApiKey key_;
  webhooks::Partner partner_;
  webhooks::PartnerClient client_;
  std::int64_t token_at_ = -1;
  std::string token_;
};

}  // namespace crp::notify
