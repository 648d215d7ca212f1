// ISO 8601 parsing and formatting for instants. Both are on the event hot path,
// so they work on raw characters: no iostreams, no regex, no locale, no
// allocation except the returned string.
#include "adapter/calendar/time.h"

#include <cstdint>

namespace crp {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil). `m` is 1..12, `d` 1..31.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);                 // [0, 399]
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

// The inverse of days_from_civil.
constexpr CivilDate civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);                    // [0, 146096]
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const unsigned mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;                             // [1, 31]
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;                                // [1, 12]
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(civil_from_days(-1).year == 1969 && civil_from_days(-1).day == 31);

constexpr bool is_leap(unsigned y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

constexpr unsigned days_in_month(unsigned y, unsigned m) {
  constexpr unsigned char kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads exactly two decimal digits at p[0], p[1]; returns -1 if either is not a digit.
inline int two_digits(const char* p) {
  if (!is_digit(p[0]) || !is_digit(p[1])) return -1;
  return (p[0] - '0') * 10 + (p[1] - '0');
}

inline void put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

std::optional<Instant> parse_iso8601(std::string_view text) {
  // Fixed part: "YYYY-MM-DDTHH:MM:SS" (19 characters), then at least "Z".
  const std::size_t n = text.size();
  if (n < 20) return std::nullopt;
  const char* s = text.data();

  if (!is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]) || !is_digit(s[3])) return std::nullopt;
  const unsigned year = static_cast<unsigned>((s[0] - '0') * 1000 + (s[1] - '0') * 100 +
                                              (s[2] - '0') * 10 + (s[3] - '0'));
  if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  const int month = two_digits(s + 5);
  const int day = two_digits(s + 8);
  const int hour = two_digits(s + 11);
  const int minute = two_digits(s + 14);
  const int second = two_digits(s + 17);
  // A negative value (non-digit) fails the lower bounds below.
  if (month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
      second < 0 || second > 59) {
    return std::nullopt;
  }
  if (static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month))) {
    return std::nullopt;
  }

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
  std::int64_t offset_minutes = 0;
  if (s[i] == 'Z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    // "±HH:MM"
    if (n - i != 6 || s[i + 3] != ':') return std::nullopt;
    const int oh = two_digits(s + i + 1);
    const int om = two_digits(s + i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return std::nullopt;
    offset_minutes = oh * 60 + om;
    if (s[i] == '-') offset_minutes = -offset_minutes;
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != n) return std::nullopt;  // trailing characters

  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t seconds =
      days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return Instant{std::chrono::milliseconds{seconds * 1000 + millis}};
}

std::string format_iso8601(Instant t) {
  const std::int64_t ms_total = t.time_since_epoch().count();
  // Floor division, so instants before 1970 format correctly.
  std::int64_t days = ms_total / 86'400'000;
  std::int64_t ms_of_day = ms_total % 86'400'000;
  if (ms_of_day < 0) {
    ms_of_day += 86'400'000;
    --days;
  }
  const CivilDate date = civil_from_days(days);
  const auto sec_of_day = static_cast<unsigned>(ms_of_day / 1000);
  const auto ms = static_cast<unsigned>(ms_of_day % 1000);

  char buf[48];
  char* p = buf;
  std::int64_t year = date.year;
  if (year < 0) {
    *p++ = '-';
    year = -year;
  }
  if (year > 9999) {
    // Outside ISO 8601's basic four-digit range: print every digit.
    char digits[20];
    int k = 0;
    for (auto y = static_cast<std::uint64_t>(year); y != 0; y /= 10) {
      digits[k++] = static_cast<char>('0' + y % 10);
    }
    while (k > 0) *p++ = digits[--k];
  } else {
    const auto y = static_cast<unsigned>(year);
    put2(p, y / 100);
    put2(p + 2, y % 100);
    p += 4;
  }
  *p++ = '-';
  put2(p, date.month);
  p[2] = '-';
  put2(p + 3, date.day);
  p[5] = 'T';
  put2(p + 6, sec_of_day / 3600);
  p[8] = ':';
  put2(p + 9, sec_of_day / 60 % 60);
  p[11] = ':';
  put2(p + 12, sec_of_day % 60);
  p += 14;
  if (ms != 0) {
    p[0] = '.';
    p[1] = static_cast<char>('0' + ms / 100);
    put2(p + 2, ms % 100);
    p += 4;
  }
  *p++ = 'Z';
  return std::string(buf, static_cast<std::size_t>(p - buf));
}

bool in_service_years(Instant t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  return day >= sys_days{year{2000} / January / 1} && day < sys_days{year{2101} / January / 1};
}

}  // namespace crp
