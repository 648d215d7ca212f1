// `crp-adapter replay`: the users' dry run and the acceptance harness.
#pragma once

#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapter/runtime/service_config.h"

namespace crp {

struct ReplayStats {
  std::size_t records = 0;
  std::size_t outputs = 0;
  std::size_t dead_lettered = 0;
  // Every printed line by its topic, webhook calls as "webhook:<partner>" (so
  // these add up to more than `outputs` when partners subscribe).
  std::map<std::string, std::size_t> out_by_topic;
  // Dead letters by __connect.errors.exception.class.name (e.g. crp.NotJson).
  std::map<std::string, std::size_t> dead_letters_by_class;
};

// replay's --calendar-change INSTANT=FILE: from `at` on, the protocols run
// under the calendars of another bank-holidays file (with_calendar).
struct ReplayCalendarChange {
  Instant at;
  std::shared_ptr<const ProtocolSet> protocols;
};

// Reads {"topic","key","headers","value"} lines from `in`, prints one JSON
// line per produced record to `out`, problems per record to `err`. With `show_headers`
// every line carries the record's headers (CloudEvents binary-mode ce_*, traceparent; a
// webhook call's HTTP headers), as a dead letter's always does. Each calendar
// change (in time order) applies before any event or deadline at or after its
// instant; one after the last event and `until` is reported on `err`, not applied.
ReplayStats replay(const ServiceConfig& config, std::istream& in, std::ostream& out,
                   std::ostream& err, std::optional<Instant> until, bool show_headers = false,
                   const std::vector<ReplayCalendarChange>& calendar_changes = {});

}  // namespace crp
