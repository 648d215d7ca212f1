#include "adapter/runtime/report/suppress.h"

namespace crp::report {

std::string Suppression::one(std::int64_t v) const {
  if (on() && v >= 1 && v < below) return "<" + std::to_string(below);
  return std::to_string(v);
}

std::vector<std::string> Suppression::group(const std::vector<std::int64_t>& values) const {
  std::vector<std::string> out;
  for (std::int64_t v : values) out.push_back(one(v));
  if (!on()) return out;
  const std::string small = "<" + std::to_string(below);
  for (;;) {
    std::int64_t sum = 0, least = 0, most = 0;
    int hidden = 0;
    bool any_x = false;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (out[i] == small) {
        ++hidden, sum += values[i], least += 1, most += below - 1;
      } else if (out[i] == "x") {
        ++hidden, sum += values[i], least += below, any_x = true;
      }
    }
    if (hidden == 0) return out;
    const bool recoverable = hidden == 1 || sum == least || (!any_x && sum == most);
    if (!recoverable) return out;
    // Hide the smallest figure still shown (not 0: a zero adds nothing to hide).
    std::size_t pick = values.size();
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (out[i] == small || out[i] == "x" || values[i] == 0) continue;
      if (pick == values.size() || values[i] < values[pick]) pick = i;
    }
    if (pick == values.size()) return out;  // nothing left to hide: all small or zero
    out[pick] = "x";
  }
}

}  // namespace crp::report
