// `crp-adapter report`: the safeguarding partnership's report for a period,
// as report.html and summary.csv (and report.csv with --records), each written
// with mode 0600. The service config's `report` section names the authority
// and the small-number suppression (`suppress_below`, default 5).
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

namespace crp::report {

struct ReportOptions {
  std::optional<std::string> config_file;  // needed to read the facts topic
  std::optional<std::string> input;        // JSONL instead of the topic
  std::string from;                        // inclusive local dates, YYYY-MM-DD
  std::string to;
  std::optional<std::string> period;  // a preset instead: 2027, 2027H1, 2027Q3, 2027-03
  bool records = false;               // also write report.csv, one row per closed challenge
  std::string out_dir = ".";
  int timeout_seconds = 60;  // for reaching the topic's end
};

// Writes `bytes` to `path` with mode 0600 from the moment the file exists (a
// file left by an earlier run is narrowed too): report files hold figures about
// children's cases. Throws std::runtime_error naming the path.
void write_private_file(const std::filesystem::path& path, const std::string& bytes);

// Returns the process exit code; says what it wrote on `out`, problems on `err`.
int run_report(const ReportOptions& options, std::ostream& out, std::ostream& err);

}  // namespace crp::report
