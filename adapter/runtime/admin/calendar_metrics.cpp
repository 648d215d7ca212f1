#include "adapter/runtime/admin/calendar_metrics.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace crp::admin {

void register_calendar_metrics(MetricsRegistry& metrics,
                               std::function<std::shared_ptr<const ProtocolSet>()> current) {
  GaugeFamily& family =
      metrics.gauge("crp_calendar_published_days_left",
                    "Days from today to the last published bank holiday of the calendar division "
                    "(negative once passed)",
                    {"division"});
  metrics.on_scrape([&family, current = std::move(current)] {
    const Instant now =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    // Protocols share one calendar per division and time zone; a division in two zones
    // reports its smaller figure.
    const std::shared_ptr<const ProtocolSet> protocols = current();
    std::map<std::string, long> left;
    for (const auto& [id, runtime] : protocols->all()) {
      const long days = runtime.calendar->published_days_left(now).count();
      auto [it, added] = left.try_emplace(runtime.calendar->division(), days);
      if (!added && days < it->second) it->second = days;
    }
    for (const auto& [division, days] : left)
      family.with({division}).set(static_cast<double>(days));
  });
}

}  // namespace crp::admin
