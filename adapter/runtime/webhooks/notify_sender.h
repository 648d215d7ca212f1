// The GOV.UK Notify sender of `crp-adapter run` (docs/decisions/0049): the
// delivery shell (delivery_shell.h) reading topics.email (its own consumer
// group "<group_id>-notify") with one channel, NotifyChannel. Emails of one
// challenge go in order; each delivered email writes notification.sent
// (reference and Notify's id) on the operations topic.
#pragma once

#include <memory>

#include "adapter/runtime/service_config.h"

namespace crp::admin {
class MetricsRegistry;
}

namespace crp::webhooks {

class NotifySender {
 public:
  // Reads and checks the API key now (throws json::ConfigError naming
  // /notify/api_key). `metrics` may be null. No network before start().
  NotifySender(const ServiceConfig& config, admin::MetricsRegistry* metrics);
  ~NotifySender();  // stop()s
  NotifySender(const NotifySender&) = delete;
  NotifySender& operator=(const NotifySender&) = delete;

  void start();
  void stop();
  bool failed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crp::webhooks
