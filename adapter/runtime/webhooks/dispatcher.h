// The webhook dispatcher of `crp-adapter run` (docs/decisions/0010): it reads
// the partner outbox (read_committed, its own consumer group
// "<group_id>-webhooks"), fans each decision out to the subscribed partners
// and calls them, on ITS OWN thread and io_context, so a slow partner never
// delays the exactly-once loop, and one partner's outage never delays another.
//
// Per (partner, challenge) deliveries go strictly in order. A delivery that
// cannot go at once (its first attempt failed, one before it is still
// pending, or the partner's circuit is open) is written to the compacted
// pending topic, co-partitioned with the outbox; it is removed (tombstone)
// when delivered or dead-lettered. The outbox offset is committed only past
// records whose every delivery is delivered, pending durably or dead-lettered.
#pragma once

#include <memory>

#include "adapter/runtime/service_config.h"

namespace crp::admin {
class MetricsRegistry;
}

namespace crp::webhooks {

class Dispatcher {
 public:
  // `metrics` may be null. Nothing touches the network before start().
  Dispatcher(const ServiceConfig& config, admin::MetricsRegistry* metrics);
  ~Dispatcher();  // stop()s
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Checks the topics (throws json::ConfigError / std::runtime_error on the
  // caller's thread), then starts the dispatcher thread.
  void start();
  // Stops consuming, lets attempts in flight finish (each partner's timeout
  // at most), writes whatever is not yet durable to the pending topic,
  // commits, and joins the thread. Idempotent.
  void stop();
  // True once the thread stopped on an error (it has logged it, and raised
  // SIGTERM so the service stops too and a supervisor restarts the process).
  bool failed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crp::webhooks
