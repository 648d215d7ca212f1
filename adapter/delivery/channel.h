// A way to reach a partner: signed webhooks (connectors/webhooks), GOV.UK
// Notify (connectors/notify). A channel only attempts; the delivery engine
// decides what an outcome means for the job, the lane and the partner.
#pragma once

#include <functional>

#include "adapter/delivery/job.h"
#include "adapter/delivery/outcome.h"

namespace crp::delivery {

class Channel {
 public:
  virtual ~Channel() = default;
  // Starts one attempt of `job` (job.attempt already counts it). `done` runs
  // later, once, on the caller's event loop; never after the channel is destroyed.
  virtual void attempt(const Job& job, std::function<void(Outcome)> done) = 0;
};

}  // namespace crp::delivery
