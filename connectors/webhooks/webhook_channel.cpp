#include "connectors/webhooks/webhook_channel.h"

#include <chrono>

namespace crp::webhooks {

void WebhookChannel::attempt(const delivery::Job& job,
                             std::function<void(delivery::Outcome)> done) {
  const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  client_.post(make_request(partner_, job.webhook_id, now_s, job.body),
               [done = std::move(done)](AttemptResult r) { done(to_outcome(r)); });
}

}  // namespace crp::webhooks
