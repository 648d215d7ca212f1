// crp_calendar_published_days_left{division}: how many days of published bank holidays
// are left for each calendar division the loaded protocols use (docs/decisions/0039).
// After the last published date deadlines rest on provisional holidays from the statutory
// rules; the chart's CrpCalendarRunningOut alert fires under a year, as check-config warns.
#pragma once

#include <functional>
#include <memory>

#include "adapter/engine/protocol_set.h"
#include "adapter/runtime/admin/metrics.h"

namespace crp::admin {

// Computed at scrape time from the wall clock (whatever clock the service runs on: the
// question is about today), over the calendar `current` gives then: a reloaded calendar
// file (docs/decisions/0060) counts from its own last date.
void register_calendar_metrics(MetricsRegistry& metrics,
                               std::function<std::shared_ptr<const ProtocolSet>()> current);

}  // namespace crp::admin
