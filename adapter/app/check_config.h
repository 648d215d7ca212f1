// `crp-adapter check-config`: everything that can be known about a configuration before
// `run` starts, every problem in one run (docs/cli.md).
#pragma once

#include <iosfwd>
#include <string>

#include "adapter/calendar/time.h"

namespace crp::cli {

struct CheckConfigOptions {
  std::string config_file;
  bool offline = false;  // read no secret (partner keys, Kafka {file}/{env} values)
  Instant now{};         // today, for the calendar horizon warning
  // Read the changelog and list the open challenges the configuration would move
  // to a newer protocol version or quarantine; any quarantine is a problem.
  bool changelog = false;
};

// Prints one line per problem on `err` ("crp-adapter: configuration error: ..."), calendar
// warnings on `err`, and "ok: N protocols" on `out` when there is no problem. Returns 0, or
// 3 (a configuration error) when any problem was found.
int check_config(const CheckConfigOptions& options, std::ostream& out, std::ostream& err);

}  // namespace crp::cli
