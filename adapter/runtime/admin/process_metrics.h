// The process's own figures, under the names Prometheus client libraries use
// (process_resident_memory_bytes, ...), read from /proc at scrape time.
#pragma once

#include <cstdint>
#include <optional>

#include "adapter/runtime/admin/metrics.h"

namespace crp::admin {

void register_process_metrics(MetricsRegistry& metrics);

// Resident set size now, from /proc/self/statm (empty where it cannot be
// read). Also what runtime.memory_limit_mib is compared with.
std::optional<std::uint64_t> resident_memory_bytes();

}  // namespace crp::admin
