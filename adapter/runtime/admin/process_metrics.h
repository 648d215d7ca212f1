// The process's own figures, under the names Prometheus client libraries use
// (process_resident_memory_bytes, ...), read from /proc at scrape time.
#pragma once

#include "adapter/runtime/admin/metrics.h"

namespace crp::admin {

void register_process_metrics(MetricsRegistry& metrics);

}  // namespace crp::admin
