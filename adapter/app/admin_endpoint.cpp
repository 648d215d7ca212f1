#include "adapter/app/admin_endpoint.h"

#include "adapter/infra/kafka/json_log.h"

namespace crp::kafka {

AdminEndpoint::AdminEndpoint(const ServiceConfig& config, const admin::AdminView& view,
                             admin::MetricsRegistry& metrics,
                             admin::NotifyCallback::Sink notify_sink) {
  const AdminSettings& a = config.admin;
  if (!a.enabled) return;
  admin::BearerToken token;
  if (!a.token_file.empty()) token = admin::BearerToken::from_file(a.token_file, config.file);
  const bool guarded = token.configured();
  routes_.emplace(view, metrics, std::move(token));
  if (config.notify.enabled() && config.notify.callback_token && notify_sink) {
    admin::BearerToken callback(
        read_secret(*config.notify.callback_token, config.file, "/notify/callback_token"));
    notify_.emplace(std::move(callback), std::move(notify_sink), metrics);
    routes_->set_notify_callback(&*notify_);
  }
  admin::ServerLimits limits;
  limits.max_request_bytes = a.max_request_bytes;
  limits.rate_limit_per_s = a.rate_limit_per_s;
  server_.emplace(io_, a.host, a.port, *routes_, metrics, limits);
  log(LogLevel::info, "admin server listening",
      {{"host", a.host},
       {"port", server_->port()},
       {"v1", guarded ? "bearer token" : "refused (no admin.token_file)"},
       {"notify_callback", notify_ ? admin::kNotifyCallbackPath : "off"}});
}

void AdminEndpoint::poll() {
  if (!server_) return;
  if (io_.stopped()) io_.restart();
  io_.poll();
}

}  // namespace crp::kafka
