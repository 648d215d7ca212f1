// What-if output: the terminal table, CSV (RFC 4180, as the board report's)
// and an HTML page in the board report's style. All three carry the same
// figures. Codes and counts only: no case id, no name, no free text.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "adapter/runtime/whatif/comparison.h"

namespace crp::whatif {

struct Comparison {
  std::string baseline;  // the configuration files as given on the command line
  std::string variant;
  std::string until;  // ISO 8601, or "" when timers fired only up to the last record
  std::size_t records = 0;
  std::size_t baseline_dead_letters = 0;
  std::size_t variant_dead_letters = 0;
  std::vector<Row> rows;
};

// How a figure is printed: a median with up to one decimal ("4", "4.5"), "-"
// when nothing closed; a change with its sign ("+3", "-1", "0").
std::string format_median(const std::optional<double>& m);
std::string format_change(std::int64_t baseline, std::int64_t variant);
std::string format_change(const std::optional<double>& baseline,
                          const std::optional<double>& variant);

void write_table(std::ostream& out, const Comparison& c);
// One row per table row; an empty median cell where the table shows "-".
void write_csv(std::ostream& out, const Comparison& c);
void write_html(std::ostream& out, const Comparison& c);

}  // namespace crp::whatif
