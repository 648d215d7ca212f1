// POST /notify/callback: GOV.UK Notify's delivery receipts (docs/decisions/0049).
// Notify sends `Authorization: Bearer <the callback token>` (compared in
// constant time) and a JSON body {id, reference, to, status, ...}. Every
// receipt is counted by status; a permanent failure is handed to the sink,
// which writes notification.failed and the fallback email, and is answered
// 200 only once they are written (else 503, and Notify calls again).
#pragma once

#include <functional>

#include "adapter/runtime/admin/bearer_token.h"
#include "adapter/runtime/admin/metrics.h"
#include "adapter/runtime/admin/routes.h"
#include "connectors/notify/notify_records.h"

namespace crp::admin {

inline constexpr const char* kNotifyCallbackPath = "/notify/callback";

class NotifyCallback {
 public:
  // True once the permanent failure's records are durable.
  using Sink = std::function<bool(const notify::Receipt&)>;
  NotifyCallback(BearerToken token, Sink on_permanent_failure, MetricsRegistry& metrics);
  AdminResponse handle(const AdminRequest& request) const;

 private:
  BearerToken token_;
  Sink sink_;
  CounterFamily& receipts_;
};

}  // namespace crp::admin
