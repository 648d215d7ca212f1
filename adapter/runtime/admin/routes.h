// The admin API's routes, independent of HTTP plumbing (the server parses,
// limits and writes; this decides): testable with plain structs.
//
//   GET /healthz                      200 while the process runs its loop
//   GET /readyz                       200 when every assigned partition is
//                                     restored and the producer usable; else 503
//   GET /metrics                      Prometheus text format 0.0.4
//   GET /v1/challenges/{id}           one challenge (Bearer token)
//   GET /v1/challenges?overdue=true   the overdue ones this instance owns
//   POST /notify/callback             GOV.UK Notify's delivery receipts (their
//                                     own Bearer token; notify_callback.h)
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "adapter/runtime/admin/admin_view.h"
#include "adapter/runtime/admin/bearer_token.h"
#include "adapter/runtime/admin/metrics.h"

namespace crp::admin {

struct AdminRequest {
  std::string method;  // "GET", ...
  std::string target;  // path and query, as sent
  std::string authorization;
  std::string body = {};  // as received, within max_request_bytes
};

struct AdminResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones
};

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

class NotifyCallback;

class AdminRoutes {
 public:
  AdminRoutes(const AdminView& view, MetricsRegistry& metrics, BearerToken token);
  AdminResponse handle(const AdminRequest& request) const;
  // Serves POST /notify/callback with `callback` (it must outlive the routes).
  void set_notify_callback(const NotifyCallback* callback) { notify_ = callback; }

 private:
  AdminResponse challenges(const std::string& path, const std::string& query) const;

  const AdminView& view_;
  MetricsRegistry& metrics_;
  BearerToken token_;
  const NotifyCallback* notify_ = nullptr;
};

// {"error": message} with this status.
AdminResponse error_response(unsigned status, const std::string& message);

}  // namespace crp::admin
