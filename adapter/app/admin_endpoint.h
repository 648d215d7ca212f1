// The admin API as `run` starts it: the token read, the port bound, routes
// over the service's view, all on an io_context of its own that the service
// polls from its thread (poll()). Nothing at all when the config has no
// `admin` block.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>

#include "adapter/runtime/admin/admin_view.h"
#include "adapter/runtime/admin/http_server.h"
#include "adapter/runtime/admin/metrics.h"
#include "adapter/runtime/admin/notify_callback.h"
#include "adapter/runtime/admin/routes.h"
#include "adapter/runtime/service_config.h"

namespace crp::kafka {

class AdminEndpoint {
 public:
  // Throws json::ConfigError for an unreadable token file, std::runtime_error
  // when the address cannot be bound.
  // `notify_sink` writes what a Notify permanent failure causes; with it and
  // notify.callback_token, POST /notify/callback is served (docs/decisions/0049).
  AdminEndpoint(const ServiceConfig& config, const admin::AdminView& view,
                admin::MetricsRegistry& metrics, admin::NotifyCallback::Sink notify_sink = {});

  bool enabled() const { return server_.has_value(); }
  std::uint16_t port() const { return server_ ? server_->port() : 0; }
  // Runs whatever admin work is ready, without blocking.
  void poll();

 private:
  boost::asio::io_context io_;
  std::optional<admin::NotifyCallback> notify_;
  std::optional<admin::AdminRoutes> routes_;
  std::optional<admin::AdminServer> server_;
};

}  // namespace crp::kafka
