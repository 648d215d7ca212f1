// `crp-adapter replay`: the users' dry run and the acceptance harness (SPEC).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "adapter/runtime/service_config.h"

namespace crp {

struct ReplayStats {
  std::size_t records = 0;
  std::size_t outputs = 0;
  std::size_t dead_lettered = 0;
};

// Reads {"topic","key","headers","value"} lines from `in`, prints one JSON
// line per produced record to `out`, problems per record to `err`.
ReplayStats replay(const ServiceConfig& config, std::istream& in, std::ostream& out,
                   std::ostream& err, std::optional<Instant> until);

}  // namespace crp
