// `crp-adapter whatif`: replays one history under two service configurations
// (the baseline and a variant, e.g. a protocol file whose Stage 1 answers in 3
// working days instead of 5) and compares, per protocol and stage, escalations,
// overdue deadlines and median working days to resolution. Both runs are the
// `replay` engine in this process: deterministic, no broker, no clock.
#pragma once

#include <optional>
#include <ostream>
#include <string>

namespace crp::cli {

struct WhatifOptions {
  std::string baseline_config;  // --config
  std::string variant_config;   // --variant
  std::string input;            // --input: replay records (JSONL), or - for stdin
  std::optional<std::string> until;
  std::optional<std::string> csv;   // --csv FILE
  std::optional<std::string> html;  // --html FILE
};

// Returns the process exit code: 0, 2 for a usage problem (bad --until, no input
// file). A configuration error is thrown as json::ConfigError (file, pointer, reason).
int whatif(const WhatifOptions& options, std::ostream& out, std::ostream& err);

}  // namespace crp::cli
