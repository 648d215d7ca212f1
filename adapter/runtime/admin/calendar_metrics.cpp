#include "adapter/runtime/admin/calendar_metrics.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace crp::admin {

void register_calendar_metrics(MetricsRegistry& metrics, const ProtocolSet& protocols) {
  GaugeFamily& family =
      metrics.gauge("crp_calendar_published_days_left",
                    "Days from today to the last published bank holiday of the calendar division "
                    "(negative once passed)",
                    {"division"});
  // Protocols share one calendar per division and time zone; a division in two zones
  // reports its smaller figure. Shared ownership: the scrape may outlive nothing it reads.
  std::vector<std::shared_ptr<const WorkingCalendar>> calendars;
  for (const auto& [id, runtime] : protocols.all()) {
    if (std::find(calendars.begin(), calendars.end(), runtime.calendar) == calendars.end())
      calendars.push_back(runtime.calendar);
  }
  metrics.on_scrape([&family, calendars] {
    const Instant now =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    std::map<std::string, long> left;
    for (const auto& cal : calendars) {
      const long days = cal->published_days_left(now).count();
      auto [it, added] = left.try_emplace(cal->division(), days);
      if (!added && days < it->second) it->second = days;
    }
    for (const auto& [division, days] : left)
      family.with({division}).set(static_cast<double>(days));
  });
}

}  // namespace crp::admin
