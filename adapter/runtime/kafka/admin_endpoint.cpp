#include "adapter/runtime/kafka/admin_endpoint.h"

#include "adapter/runtime/kafka/json_log.h"

namespace crp::kafka {

AdminEndpoint::AdminEndpoint(const ServiceConfig& config, const admin::AdminView& view,
                             admin::MetricsRegistry& metrics) {
  const AdminSettings& a = config.admin;
  if (!a.enabled) return;
  admin::BearerToken token;
  if (!a.token_file.empty()) token = admin::BearerToken::from_file(a.token_file, config.file);
  const bool guarded = token.configured();
  routes_.emplace(view, metrics, std::move(token));
  admin::ServerLimits limits;
  limits.max_request_bytes = a.max_request_bytes;
  limits.rate_limit_per_s = a.rate_limit_per_s;
  server_.emplace(io_, a.host, a.port, *routes_, metrics, limits);
  log(LogLevel::info, "admin server listening",
      {{"host", a.host},
       {"port", server_->port()},
       {"v1", guarded ? "bearer token" : "refused (no admin.token_file)"}});
}

void AdminEndpoint::poll() {
  if (!server_) return;
  if (io_.stopped()) io_.restart();
  io_.poll();
}

}  // namespace crp::kafka
