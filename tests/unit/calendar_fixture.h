// Shared by the calendar tests (calendar_test, calendar_provisional_test, iso8601_test):
// dates and instants written short, the shipped bank-holiday file, and the statutory
// England and Wales rules computed independently of the implementation.
#pragma once

#include <date/date.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/calendar/time.h"
#include "adapter/calendar/working_calendar.h"

namespace crp::calendar_testing {

using std::chrono::sys_days;
using ::testing::AllOf;
using ::testing::HasSubstr;

inline sys_days D(int y, unsigned m, unsigned d) {
  return sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
}

// The date as "YYYY-MM-DD" (for readable failure messages).
inline std::string S(sys_days day) {
  return date::format("%F", day);
}

inline Instant I(std::string_view text) {
  const auto t = parse_iso8601(text);
  if (!t) ADD_FAILURE() << "test instant does not parse: " << text;
  return t.value_or(Instant{});
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline const std::string& bank_holidays_json() {
  static const std::string text =
      read_file(std::string(CRP_SOURCE_DIR) + "/config/calendars/bank-holidays.json");
  return text;
}

inline const WorkingCalendar& england() {
  static const WorkingCalendar cal(bank_holidays_json(), "england-and-wales");
  return cal;
}

inline constexpr LocalTimeOfDay k17{17 * 60};

inline std::string due(const WorkingCalendar& cal, std::string_view start, Deadline d,
                       LocalTimeOfDay end = k17) {
  return format_iso8601(cal.due_instant(I(start), d, end));
}

inline bool is_weekend(sys_days day) {
  const std::chrono::weekday wd{day};
  return wd == std::chrono::Saturday || wd == std::chrono::Sunday;
}

// Derives the eight holidays of a year from the statutory rules, independently
// of the hand-written list: Easter by the anonymous Gregorian computus, the May
// and August Mondays, and substitute weekdays for New Year, Christmas and Boxing Day.
inline std::set<sys_days> england_and_wales_by_rule(int y) {
  const int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25;
  const int g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451;
  const auto month = static_cast<unsigned>((h + l - 7 * m + 114) / 31);
  const auto day = static_cast<unsigned>((h + l - 7 * m + 114) % 31 + 1);
  const sys_days easter = D(y, month, day);
  const std::chrono::year year{y};
  const sys_days first_monday_may{year / std::chrono::May / std::chrono::Monday[1]};
  const sys_days last_monday_may{year / std::chrono::May / std::chrono::Monday[std::chrono::last]};
  const sys_days last_monday_aug{year / std::chrono::August /
                                 std::chrono::Monday[std::chrono::last]};
  std::set<sys_days> out = {easter - std::chrono::days{2}, easter + std::chrono::days{1},
                            first_monday_may, last_monday_may, last_monday_aug};
  // New Year: next weekday. Christmas and Boxing Day: the next free weekdays.
  sys_days ny = D(y, 1, 1);
  while (is_weekend(ny)) ny += std::chrono::days{1};
  out.insert(ny);
  for (const sys_days fixed : {D(y, 12, 25), D(y, 12, 26)}) {
    sys_days s = fixed;
    while (is_weekend(s) || out.count(s)) s += std::chrono::days{1};
    out.insert(s);
  }
  return out;
}

// Hand-written from the GOV.UK list (and the proclamation rules for 2027-2028).
inline const std::vector<sys_days>& england_and_wales_2024_2028() {
  static const std::vector<sys_days> days = {
      D(2024, 1, 1),  D(2024, 3, 29), D(2024, 4, 1),   D(2024, 5, 6),
      D(2024, 5, 27), D(2024, 8, 26), D(2024, 12, 25), D(2024, 12, 26),  //
      D(2025, 1, 1),  D(2025, 4, 18), D(2025, 4, 21),  D(2025, 5, 5),
      D(2025, 5, 26), D(2025, 8, 25), D(2025, 12, 25), D(2025, 12, 26),  //
      D(2026, 1, 1),  D(2026, 4, 3),  D(2026, 4, 6),   D(2026, 5, 4),
      D(2026, 5, 25), D(2026, 8, 31), D(2026, 12, 25), D(2026, 12, 28),  //
      D(2027, 1, 1),  D(2027, 3, 26), D(2027, 3, 29),  D(2027, 5, 3),
      D(2027, 5, 31), D(2027, 8, 30), D(2027, 12, 27), D(2027, 12, 28),  //
      D(2028, 1, 3),  D(2028, 4, 14), D(2028, 4, 17),  D(2028, 5, 1),
      D(2028, 5, 29), D(2028, 8, 28), D(2028, 12, 25), D(2028, 12, 26),
  };
  return days;
}

// The smallest file the calendar accepts: one division, one event.
inline constexpr std::string_view kMinimal =
    R"({"england-and-wales":{"division":"england-and-wales","events":[)"
    R"({"title":"Christmas Day","date":"2026-12-25","notes":"","bunting":true}]}})";

}  // namespace crp::calendar_testing
