// `--period` presets: 2027 (the year), 2027H1 / 2027H2 (half years, for
// Calderdale's bi-annual report), 2027Q1..Q4 (quarters), 2027-03 (a month).
#pragma once

#include <optional>
#include <string>

#include "adapter/runtime/report/aggregate.h"

namespace crp::report {

// nullopt when `text` is none of the presets (or the year is outside 2000-2100).
std::optional<Period> period_preset(const std::string& text);

}  // namespace crp::report
