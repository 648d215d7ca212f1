// Signed webhooks as a delivery channel: each attempt is one Standard
// Webhooks POST (signed with every partner key at the current second) over
// the partner's verified HTTPS client; the answer becomes an Outcome
// (attempt.h: classify, Retry-After).
#pragma once

#include <boost/asio/io_context.hpp>

#include "adapter/delivery/channel.h"
#include "connectors/webhooks/https_client.h"
#include "connectors/webhooks/partner.h"

namespace crp::webhooks {

class WebhookChannel final : public delivery::Channel {
 public:
  // Loads the partner's CA bundle now: a bad file fails before anything runs.
  WebhookChannel(boost::asio::io_context& io, const Partner& partner)
      : partner_(partner), client_(io, partner) {}
  void attempt(const delivery::Job& job, std::function<void(delivery::Outcome)> done) override;

 private:
  const Partner& partner_;
  PartnerClient client_;
};

}  // namespace crp::webhooks
