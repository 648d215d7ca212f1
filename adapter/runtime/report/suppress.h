// Small-number suppression for the board report (decision "Board report
// minimisation"). A figure from 1 to below-1 is shown as "<below" (default
// "<5"); 0 is shown. Within a group whose total is printed elsewhere (a chart's
// bars add up to a headline figure), hidden cells must not be recoverable by
// subtraction, so further cells are hidden as "x" (smallest first) until the
// hidden cells could hold more than one set of values: at least two hidden,
// and their sum neither the least nor (with no "x") the most they could add up to.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace crp::report {

struct Suppression {
  int below = 5;  // 0 or 1: every figure is shown
  bool on() const { return below > 1; }
  // One figure on its own.
  std::string one(std::int64_t value) const;
  // The figures of one group, in order.
  std::vector<std::string> group(const std::vector<std::int64_t>& values) const;
};

}  // namespace crp::report
