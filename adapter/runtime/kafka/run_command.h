// Entry point of `crp-adapter run --config FILE [--instance NAME]`.
#pragma once

#include <string>

#include "adapter/runtime/service_config.h"

namespace crp::kafka {

inline constexpr int kExitFatal = 1;
inline constexpr int kExitFenced = 4;  // another instance took over our transactional.id
// A CRP_TEST_* variable set for a binary built without the test hooks (test_hooks.h).
inline constexpr int kExitTestHooksRefused = 6;

// The instance name in transactional.id: `override` if given, else the
// config's service.instance, else $HOSTNAME (a StatefulSet pod name is
// stable across restarts), else the host name. A restarted instance must keep
// its name, so its first transaction aborts what the crashed one left open.
std::string instance_name(const ServiceConfig& config, const std::string& override);

// Runs the service until SIGTERM/SIGINT. Returns the process exit code: 0
// after a clean stop, kExitFenced when fenced, kExitTestHooksRefused before
// anything starts, kExitFatal on other runtime failures. Configuration errors propagate as
// json::ConfigError.
int run_service(const ServiceConfig& config, const std::string& instance_override);

}  // namespace crp::kafka
