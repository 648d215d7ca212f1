// Entry point of `crp-adapter run --config FILE [--instance NAME]`.
#pragma once

#include <string>

#include "adapter/infra/kafka/exit_codes.h"
#include "adapter/runtime/service_config.h"

namespace crp::kafka {

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
