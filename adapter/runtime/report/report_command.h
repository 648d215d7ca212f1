// `crp-adapter report`: the safeguarding partnership's report of challenges
// closed in a period, as report.csv, summary.csv and report.html.
#pragma once

#include <optional>
#include <ostream>
#include <string>

namespace crp::report {

struct ReportOptions {
  std::optional<std::string> config_file;  // needed to read the facts topic
  std::optional<std::string> input;        // JSONL instead of the topic
  std::string from;                        // inclusive local dates, YYYY-MM-DD
  std::string to;
  std::string out_dir = ".";
  int timeout_seconds = 60;  // for reaching the topic's end
};

// Returns the process exit code; says what it wrote on `out`, problems on `err`.
int run_report(const ReportOptions& options, std::ostream& out, std::ostream& err);

}  // namespace crp::report
