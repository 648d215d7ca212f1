// ISO 8601 parsing and formatting for instants. The calendar is H. Hinnant's date library
// (the reference implementation of C++20's calendar types): year_month_day::ok() checks
// month lengths and leap years, sys_days and year_month_day convert between dates and
// days, hh_mm_ss splits a day. Only the grammar this service accepts is written here: the
// fixed-width date and time, any number of fractional digits (truncated to milliseconds),
// and an offset that is "Z" or "+HH:MM"/"-HH:MM". date::parse and date::format are not used
// on this path: they go through iostreams and measured 20-30 times slower, on every event
// and every output record (docs/decisions/0048).
#include "adapter/calendar/time.h"

#include <date/date.h>

#include <cstdint>
#include <string>

namespace crp {
namespace {

constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Exactly `width` decimal digits at p, or -1.
constexpr int digits(const char* p, int width) {
  int v = 0;
  for (int i = 0; i < width; ++i) {
    if (!is_digit(p[i])) return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

}  // namespace

std::optional<Instant> parse_iso8601(std::string_view text) {
  // Fixed part: "YYYY-MM-DDTHH:MM:SS" (19 characters), then at least "Z".
  const std::size_t n = text.size();
  if (n < 20) return std::nullopt;
  const char* s = text.data();
  if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  const int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
  const int h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
    return std::nullopt;  // not digits, or no such time of day (no leap seconds)
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                                 date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;  // month 1-12, a day that month has
  const date::sys_seconds seconds = date::sys_days{ymd} + std::chrono::hours{h} +
                                    std::chrono::minutes{mi} + std::chrono::seconds{sec};
  std::size_t i = 19;
  std::int64_t millis = 0;
  if (s[i] == '.') {
    ++i;
    const std::size_t first = i;
    // Any number of digits; only the first three count (truncation, not rounding).
    while (i < n && is_digit(s[i])) {
      if (i - first < 3) millis = millis * 10 + (s[i] - '0');
      ++i;
    }
    const std::size_t digits = i - first;
    if (digits == 0) return std::nullopt;
    for (std::size_t k = digits; k < 3; ++k) millis *= 10;
  }
  if (i >= n) return std::nullopt;  // no offset
  std::chrono::minutes offset{0};
  if (s[i] == 'Z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    // "±HH:MM", hours 00-23 and minutes 00-59.
    if (n - i != 6 || !is_digit(s[i + 1]) || !is_digit(s[i + 2]) || s[i + 3] != ':' ||
        !is_digit(s[i + 4]) || !is_digit(s[i + 5]))
      return std::nullopt;
    const int hours = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
    const int minutes = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
    if (hours > 23 || minutes > 59) return std::nullopt;
    offset = std::chrono::hours{hours} + std::chrono::minutes{minutes};
    if (s[i] == '-') offset = -offset;
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != n) return std::nullopt;  // trailing characters
  return Instant{seconds - offset + std::chrono::milliseconds{millis}};
}

std::string format_iso8601(Instant t) {
  const auto day = std::chrono::floor<date::days>(t);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<std::chrono::milliseconds> time{t - day};
  // Years 0000-9999 in ISO 8601's four digits; outside them (only reachable by arithmetic,
  // never read) a sign before year 0 and every digit, not a corrupt date. The digits are
  // placed by hand: snprintf measured ten times slower, on every output record.
  const int year = static_cast<int>(ymd.year());
  std::string text = year < 0 ? "-" : "";
  const std::string year_digits = std::to_string(year < 0 ? -year : year);
  if (year_digits.size() < 4) text.append(4 - year_digits.size(), '0');
  text += year_digits;
  const auto two = [&text](char before, long v) {
    text += before;
    text += static_cast<char>('0' + v / 10);
    text += static_cast<char>('0' + v % 10);
  };
  two('-', static_cast<unsigned>(ymd.month()));
  two('-', static_cast<unsigned>(ymd.day()));
  two('T', time.hours().count());
  two(':', time.minutes().count());
  two(':', time.seconds().count());
  if (const long ms = static_cast<long>(time.subseconds().count()); ms != 0) {
    two('.', ms / 10);  // milliseconds only when non-zero: ".250"
    text += static_cast<char>('0' + ms % 10);
  }
  text += 'Z';
  return text;
}

bool in_service_years(Instant t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  return day >= sys_days{year{2000} / January / 1} && day < sys_days{year{2101} / January / 1};
}

}  // namespace crp
