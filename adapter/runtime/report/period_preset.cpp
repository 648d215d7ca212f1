#include "adapter/runtime/report/period_preset.h"

#include <cstdio>
#include <regex>

namespace crp::report {
namespace {

std::string date(int y, int m, int d) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", y, m, d);
  return buffer;
}

int days_in(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : kDays[m - 1];
}

}  // namespace

std::optional<Period> period_preset(const std::string& text) {
  static const std::regex kPreset("^([0-9]{4})(?:(H[12])|(Q[1-4])|-([0-9]{2}))?$");
  std::smatch m;
  if (!std::regex_match(text, m, kPreset)) return std::nullopt;
  const int y = std::stoi(m[1].str());
  if (y < 2000 || y > 2100) return std::nullopt;
  int first = 1, last = 12;
  if (m[2].matched) {
    first = m[2].str() == "H1" ? 1 : 7;
    last = first + 5;
  } else if (m[3].matched) {
    first = (m[3].str()[1] - '1') * 3 + 1;
    last = first + 2;
  } else if (m[4].matched) {
    first = last = std::stoi(m[4].str());
    if (first < 1 || first > 12) return std::nullopt;
  }
  return Period{date(y, first, 1), date(y, last, days_in(y, last))};
}

}  // namespace crp::report
