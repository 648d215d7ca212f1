#include "adapter/runtime/admin/process_metrics.h"

#include <unistd.h>

#include <chrono>
#include <fstream>

namespace crp::admin {

std::optional<std::uint64_t> resident_memory_bytes() {
  // /proc/self/statm: size resident shared ... in pages.
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return std::nullopt;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

void register_process_metrics(MetricsRegistry& metrics) {
  Gauge& rss =
      metrics.gauge("process_resident_memory_bytes", "Resident memory size in bytes").with({});
  Gauge& start = metrics
                     .gauge("process_start_time_seconds",
                            "Start time of the process since the Unix epoch in seconds")
                     .with({});
  start.set(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  metrics.on_scrape([&rss] {
    if (auto bytes = resident_memory_bytes()) rss.set(static_cast<double>(*bytes));
  });
}

}  // namespace crp::admin
