// Working calendar, time zone and ISO 8601 tests. Expected dates are written out
// by hand (or derived from the statutory rules below), never read back from the
// implementation, so each test fails if the feature it names is wrong.
#include <date/date.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapter/calendar/time.h"
#include "adapter/calendar/working_calendar.h"

namespace crp {
namespace {

using std::chrono::sys_days;
using ::testing::AllOf;
using ::testing::HasSubstr;

sys_days D(int y, unsigned m, unsigned d) {
  return sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
}

// The date as "YYYY-MM-DD" (for readable failure messages).
std::string S(sys_days day) {
  return date::format("%F", day);
}

Instant I(std::string_view text) {
  const auto t = parse_iso8601(text);
  if (!t) ADD_FAILURE() << "test instant does not parse: " << text;
  return t.value_or(Instant{});
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const std::string& bank_holidays_json() {
  static const std::string text =
      read_file(std::string(CRP_SOURCE_DIR) + "/config/calendars/bank-holidays.json");
  return text;
}

const WorkingCalendar& england() {
  static const WorkingCalendar cal(bank_holidays_json(), "england-and-wales");
  return cal;
}

constexpr LocalTimeOfDay k17{17 * 60};

std::string due(const WorkingCalendar& cal, std::string_view start, Deadline d,
                LocalTimeOfDay end = k17) {
  return format_iso8601(cal.due_instant(I(start), d, end));
}

bool is_weekend(sys_days day) {
  const std::chrono::weekday wd{day};
  return wd == std::chrono::Saturday || wd == std::chrono::Sunday;
}

// ---------------------------------------------------------------------------
// England and Wales bank holidays 2024-2028

// Hand-written from the GOV.UK list (and the proclamation rules for 2027-2028).
const std::vector<sys_days>& england_and_wales_2024_2028() {
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

TEST(EnglandAndWales, EveryBankHoliday2024To2028IsNotAWorkingDay) {
  const auto& cal = england();
  for (const sys_days h : england_and_wales_2024_2028()) {
    EXPECT_FALSE(is_weekend(h)) << S(h) << " listed holiday on a weekend";
    EXPECT_TRUE(cal.is_bank_holiday(h)) << S(h);
    EXPECT_FALSE(cal.is_working_day(h)) << S(h);
  }
}

TEST(EnglandAndWales, ExactlyTheListedDaysAreHolidaysAndTheDaysEitherSideBehave) {
  const auto& cal = england();
  const std::set<sys_days> expected(england_and_wales_2024_2028().begin(),
                                    england_and_wales_2024_2028().end());
  int holidays = 0;
  int working = 0;
  for (sys_days day = D(2024, 1, 1); day <= D(2028, 12, 31); day += std::chrono::days{1}) {
    const bool want_holiday = expected.count(day) > 0;
    EXPECT_EQ(cal.is_bank_holiday(day), want_holiday) << S(day);
    EXPECT_EQ(cal.is_working_day(day), !want_holiday && !is_weekend(day)) << S(day);
    holidays += cal.is_bank_holiday(day);
    working += cal.is_working_day(day);
  }
  EXPECT_EQ(holidays, 40);
  // 1827 days in 2024-2028, of which 1305 are weekdays; minus 40 holidays.
  EXPECT_EQ(working, 1305 - 40);

  // The weekday before and after each holiday, unless also a holiday, is worked.
  for (const sys_days h : expected) {
    for (const sys_days side : {h - std::chrono::days{1}, h + std::chrono::days{1}}) {
      if (!is_weekend(side) && expected.count(side) == 0) {
        EXPECT_TRUE(cal.is_working_day(side)) << S(side) << " next to " << S(h);
      }
    }
  }
}

// Derives the eight holidays of a year from the statutory rules, independently
// of the hand-written list: Easter by the anonymous Gregorian computus, the May
// and August Mondays, and substitute weekdays for New Year, Christmas and Boxing Day.
std::set<sys_days> england_and_wales_by_rule(int y) {
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

TEST(EnglandAndWales, HolidaysMatchTheStatutoryRules) {
  const auto& cal = england();
  for (int y = 2024; y <= 2028; ++y) {
    const auto want = england_and_wales_by_rule(y);
    std::set<sys_days> got;
    for (sys_days day = D(y, 1, 1); day <= D(y, 12, 31); day += std::chrono::days{1}) {
      if (cal.is_bank_holiday(day)) got.insert(day);
    }
    EXPECT_EQ(got, want) << "year " << y;
  }
}

TEST(EnglandAndWales, CoverageAndDivision) {
  EXPECT_EQ(england().division(), "england-and-wales");
  EXPECT_EQ(S(england().first_holiday()), "2024-01-01");
  EXPECT_EQ(S(england().last_holiday()), "2028-12-26");
}

TEST(EnglandAndWales, SubstituteDays) {
  const auto& cal = england();
  // 2026: Boxing Day is a Saturday, the bank holiday is Monday 28th.
  EXPECT_FALSE(cal.is_bank_holiday(D(2026, 12, 26)));
  EXPECT_FALSE(cal.is_working_day(D(2026, 12, 28)));
  EXPECT_TRUE(cal.is_working_day(D(2026, 12, 29)));
  EXPECT_EQ(S(cal.add_working_days(D(2026, 12, 24), 1)), "2026-12-29");
  // 2027: Christmas Saturday, Boxing Day Sunday -> Monday 27th and Tuesday 28th.
  EXPECT_FALSE(cal.is_bank_holiday(D(2027, 12, 25)));
  EXPECT_FALSE(cal.is_bank_holiday(D(2027, 12, 26)));
  EXPECT_FALSE(cal.is_working_day(D(2027, 12, 27)));
  EXPECT_FALSE(cal.is_working_day(D(2027, 12, 28)));
  EXPECT_TRUE(cal.is_working_day(D(2027, 12, 29)));
  EXPECT_EQ(S(cal.add_working_days(D(2027, 12, 24), 1)), "2027-12-29");
  // 2028: New Year's Day is a Saturday -> Monday 3 January.
  EXPECT_FALSE(cal.is_bank_holiday(D(2028, 1, 1)));
  EXPECT_FALSE(cal.is_working_day(D(2028, 1, 3)));
  EXPECT_EQ(S(cal.add_working_days(D(2027, 12, 31), 1)), "2028-01-04");
}

// ---------------------------------------------------------------------------
// add_working_days

TEST(AddWorkingDays, WeekendSpans) {
  const auto& cal = england();
  // Week of Mon 2026-11-16 .. Sun 2026-11-22: no holidays near.
  EXPECT_EQ(S(cal.add_working_days(D(2026, 11, 20), 1)), "2026-11-23");  // Fri + 1 = Mon
  EXPECT_EQ(S(cal.add_working_days(D(2026, 11, 20), 5)), "2026-11-27");  // Fri + 5 = Fri
  EXPECT_EQ(S(cal.add_working_days(D(2026, 11, 16), 4)), "2026-11-20");  // Mon + 4 = Fri
  EXPECT_EQ(S(cal.add_working_days(D(2026, 11, 16), 5)), "2026-11-23");  // Mon + 5 = Mon
  EXPECT_EQ(S(cal.add_working_days(D(2026, 11, 18), 3)), "2026-11-23");  // Wed + 3 = Mon
  EXPECT_EQ(S(cal.add_working_days(D(2026, 11, 19), 7)), "2026-11-30");  // Thu + 7 = Mon
  EXPECT_EQ(S(cal.add_working_days(D(2026, 11, 20), 0)), "2026-11-20");  // n == 0: unchanged
}

TEST(AddWorkingDays, StartOnAWeekendOrHoliday) {
  const auto& cal = england();
  EXPECT_EQ(S(cal.add_working_days(D(2026, 11, 21), 1)), "2026-11-23");  // Sat + 1 = Mon
  EXPECT_EQ(S(cal.add_working_days(D(2026, 11, 22), 1)), "2026-11-23");  // Sun + 1 = Mon
  EXPECT_EQ(S(cal.add_working_days(D(2026, 11, 21), 5)), "2026-11-27");  // Sat + 5 = Fri
  EXPECT_EQ(S(cal.add_working_days(D(2026, 11, 22), 6)), "2026-11-30");  // Sun + 6 = Mon
  // Saturday before the late-May Monday: the Monday is a holiday.
  EXPECT_EQ(S(cal.add_working_days(D(2026, 5, 23), 1)), "2026-05-26");
  // Starting on Good Friday / Easter Monday 2026.
  EXPECT_EQ(S(cal.add_working_days(D(2026, 4, 3), 1)), "2026-04-07");
  EXPECT_EQ(S(cal.add_working_days(D(2026, 4, 6), 1)), "2026-04-07");
  // Starting on Christmas Day 2026 (Fri): 28th is the Boxing Day substitute.
  EXPECT_EQ(S(cal.add_working_days(D(2026, 12, 25), 1)), "2026-12-29");
}

TEST(AddWorkingDays, LongSpansAcrossSeveralHolidays) {
  const auto& cal = england();
  // Thu 2026-03-26: Good Friday 3 Apr and Easter Monday 6 Apr are skipped.
  // Working days: 27, 30, 31, 1, 2, 7, 8, 9, 10, 13 -> 10th is Mon 13 April.
  EXPECT_EQ(S(cal.add_working_days(D(2026, 3, 26), 10)), "2026-04-13");
  // Mon 2027-12-20 + 20 skips 27 and 28 December and Monday 3 January 2028:
  // 21..24 Dec (4), 29..31 Dec (7), 4..7 Jan (11), 10..14 Jan (16), 17..20 Jan (20).
  EXPECT_EQ(S(cal.add_working_days(D(2027, 12, 20), 20)), "2028-01-20");
  // A whole year: 2025-12-31 + 253 working days (2026 has 261 weekdays - 8 holidays).
  EXPECT_EQ(S(cal.add_working_days(D(2025, 12, 31), 253)), "2026-12-31");
}

TEST(AddWorkingDays, AgreesWithADayByDayWalkEverywhere) {
  const auto& cal = england();
  for (sys_days from = D(2023, 12, 1); from <= D(2029, 1, 31); from += std::chrono::days{1}) {
    sys_days walk = from;
    for (int n = 1; n <= 30; ++n) {
      do {
        walk += std::chrono::days{1};
      } while (!cal.is_working_day(walk));
      ASSERT_EQ(cal.add_working_days(from, n), walk) << S(from) << " + " << n;
    }
  }
}

TEST(AddWorkingDays, BeyondTheFileStatutoryHolidaysAreSkipped) {
  const auto& cal = england();
  // No 2029 data: New Year's Day 2029 (Monday) comes from the statutory rules.
  EXPECT_FALSE(cal.is_working_day(D(2029, 1, 1)));
  EXPECT_EQ(S(cal.add_working_days(D(2028, 12, 29), 1)), "2029-01-02");
}

// ---------------------------------------------------------------------------
// Deadlines

TEST(Deadline, RotherhamStage1OverChristmas) {
  // Raised Thursday 17 December 2026; 10 working days skipping 25 Dec, 28 Dec
  // (Boxing Day substitute) and 1 Jan: 18, 21, 22, 23, 24, 29, 30, 31, 4, 5.
  const Deadline ten{10, DeadlineUnit::working_days};
  EXPECT_EQ(S(england().due_date(I("2026-12-17T09:30:00Z"), ten)), "2027-01-05");
  EXPECT_EQ(due(england(), "2026-12-17T09:30:00Z", ten), "2027-01-05T17:00:00Z");
  // Late on the 17th, still the 17th locally (GMT): same due instant.
  EXPECT_EQ(due(england(), "2026-12-17T23:59:59.999Z", ten), "2027-01-05T17:00:00Z");
  // Just after local midnight it is the 18th: one working day later.
  EXPECT_EQ(due(england(), "2026-12-18T00:00:00Z", ten), "2027-01-06T17:00:00Z");
}

TEST(Deadline, EndOfDayIsLocalTimeEitherSideOfSpringForward) {
  // Clocks go forward at 01:00Z on Sunday 29 March 2026.
  const auto& cal = england();
  // Due Friday 27 March (GMT): 17:00 local = 17:00Z.
  EXPECT_EQ(due(cal, "2026-03-26T10:00:00Z", {1, DeadlineUnit::working_days}),
            "2026-03-27T17:00:00Z");
  // Due Monday 30 March (BST): 17:00 local = 16:00Z.
  EXPECT_EQ(due(cal, "2026-03-25T10:00:00Z", {3, DeadlineUnit::working_days}),
            "2026-03-30T16:00:00Z");
  // Starts a second either side of the change: both Sunday 29th locally.
  EXPECT_EQ(S(cal.local_date(I("2026-03-29T00:59:59Z"))), "2026-03-29");
  EXPECT_EQ(S(cal.local_date(I("2026-03-29T01:00:00Z"))), "2026-03-29");
  EXPECT_EQ(due(cal, "2026-03-29T00:59:59Z", {1, DeadlineUnit::working_days}),
            "2026-03-30T16:00:00Z");
  EXPECT_EQ(due(cal, "2026-03-29T01:00:00Z", {1, DeadlineUnit::working_days}),
            "2026-03-30T16:00:00Z");
  // A calendar-day deadline due on the changeover Sunday itself is already BST at 17:00.
  EXPECT_EQ(due(cal, "2026-03-28T12:00:00Z", {1, DeadlineUnit::days, false}),
            "2026-03-29T16:00:00Z");
  // Rolled (the default), the Sunday deadline moves to Monday 30th, still BST.
  EXPECT_EQ(due(cal, "2026-03-28T12:00:00Z", {1, DeadlineUnit::days}), "2026-03-30T16:00:00Z");
  // 23:30Z on Sunday 29th is 00:30 BST on Monday 30th.
  EXPECT_EQ(S(cal.local_date(I("2026-03-29T23:30:00Z"))), "2026-03-30");
  EXPECT_EQ(due(cal, "2026-03-29T23:30:00Z", {1, DeadlineUnit::working_days}),
            "2026-03-31T16:00:00Z");
  // 23:30Z on Saturday 28th is still GMT: Saturday locally.
  EXPECT_EQ(S(cal.local_date(I("2026-03-28T23:30:00Z"))), "2026-03-28");
}

TEST(Deadline, EndOfDayIsLocalTimeEitherSideOfFallBack) {
  // Clocks go back at 01:00Z on Sunday 25 October 2026.
  const auto& cal = england();
  // Due Friday 23 October (BST): 16:00Z.
  EXPECT_EQ(due(cal, "2026-10-22T10:00:00Z", {1, DeadlineUnit::working_days}),
            "2026-10-23T16:00:00Z");
  // Due Monday 26 October (GMT): 17:00Z.
  EXPECT_EQ(due(cal, "2026-10-22T10:00:00Z", {2, DeadlineUnit::working_days}),
            "2026-10-26T17:00:00Z");
  // A second either side of the change (01:59:59 BST, then 01:00:00 GMT).
  EXPECT_EQ(S(cal.local_date(I("2026-10-25T00:59:59Z"))), "2026-10-25");
  EXPECT_EQ(S(cal.local_date(I("2026-10-25T01:00:00Z"))), "2026-10-25");
  EXPECT_EQ(due(cal, "2026-10-25T00:59:59Z", {1, DeadlineUnit::working_days}),
            "2026-10-26T17:00:00Z");
  EXPECT_EQ(due(cal, "2026-10-25T01:00:00Z", {1, DeadlineUnit::working_days}),
            "2026-10-26T17:00:00Z");
  // 23:30Z on Saturday 24th is 00:30 BST on Sunday 25th: the Sunday counts
  // as the start, and the result is the same Monday.
  EXPECT_EQ(S(cal.local_date(I("2026-10-24T23:30:00Z"))), "2026-10-25");
  // 23:30Z on Friday 23rd is 00:30 BST Saturday: Monday is the first working day.
  EXPECT_EQ(due(cal, "2026-10-23T23:30:00Z", {1, DeadlineUnit::working_days}),
            "2026-10-26T17:00:00Z");
  // Calendar days from the same two sides of local midnight: 22:59:59Z on Friday
  // 23rd is 23:59:59 BST Friday (+2 = Sunday); 23:00Z is Saturday (+2 = Monday).
  EXPECT_EQ(due(cal, "2026-10-23T22:59:59Z", {2, DeadlineUnit::days, false}),
            "2026-10-25T17:00:00Z");
  EXPECT_EQ(due(cal, "2026-10-23T22:59:59Z", {2, DeadlineUnit::days}), "2026-10-26T17:00:00Z");
  EXPECT_EQ(due(cal, "2026-10-23T23:00:00Z", {2, DeadlineUnit::days}), "2026-10-26T17:00:00Z");
  // After the change, 23:30Z on Sunday 25th is 23:30 GMT Sunday.
  EXPECT_EQ(S(cal.local_date(I("2026-10-25T23:30:00Z"))), "2026-10-25");
}

TEST(Deadline, OtherYearsChangeOnTheirOwnLastSundays) {
  const auto& cal = england();
  // 2027: forward 28 March, back 31 October.
  EXPECT_EQ(format_iso8601(cal.to_utc(D(2027, 3, 26), k17)), "2027-03-26T17:00:00Z");
  EXPECT_EQ(format_iso8601(cal.to_utc(D(2027, 3, 29), k17)), "2027-03-29T16:00:00Z");
  EXPECT_EQ(format_iso8601(cal.to_utc(D(2027, 10, 29), k17)), "2027-10-29T16:00:00Z");
  EXPECT_EQ(format_iso8601(cal.to_utc(D(2027, 11, 1), k17)), "2027-11-01T17:00:00Z");
  // 2024: forward 31 March, back 27 October.
  EXPECT_EQ(format_iso8601(cal.to_utc(D(2024, 3, 29), k17)), "2024-03-29T17:00:00Z");
  EXPECT_EQ(format_iso8601(cal.to_utc(D(2024, 4, 1), k17)), "2024-04-01T16:00:00Z");
  EXPECT_EQ(format_iso8601(cal.to_utc(D(2024, 10, 25), k17)), "2024-10-25T16:00:00Z");
  EXPECT_EQ(format_iso8601(cal.to_utc(D(2024, 10, 28), k17)), "2024-10-28T17:00:00Z");
}

TEST(Deadline, ToUtcAroundTheTransitions) {
  const auto& cal = england();
  auto at = [&](sys_days day, int h, int m) {
    return format_iso8601(cal.to_utc(day, LocalTimeOfDay{h * 60 + m}));
  };
  // Spring: 00:30 GMT exists; 01:00-01:59 local does not (moved to the
  // transition, 02:00 BST = 01:00Z); 02:00 BST = 01:00Z.
  EXPECT_EQ(at(D(2026, 3, 29), 0, 30), "2026-03-29T00:30:00Z");
  EXPECT_EQ(at(D(2026, 3, 29), 1, 0), "2026-03-29T01:00:00Z");
  EXPECT_EQ(at(D(2026, 3, 29), 1, 30), "2026-03-29T01:00:00Z");
  EXPECT_EQ(at(D(2026, 3, 29), 2, 0), "2026-03-29T01:00:00Z");
  EXPECT_EQ(at(D(2026, 3, 29), 2, 30), "2026-03-29T01:30:00Z");
  // Autumn: 01:30 happens twice; the earlier (BST) instant is chosen.
  EXPECT_EQ(at(D(2026, 10, 25), 0, 59), "2026-10-24T23:59:00Z");
  EXPECT_EQ(at(D(2026, 10, 25), 1, 30), "2026-10-25T00:30:00Z");
  EXPECT_EQ(at(D(2026, 10, 25), 2, 0), "2026-10-25T02:00:00Z");
  // Custom end of working day.
  EXPECT_EQ(due(cal, "2026-07-01T08:00:00Z", {1, DeadlineUnit::working_days}, {17 * 60 + 30}),
            "2026-07-02T16:30:00Z");
}

TEST(Deadline, LocalDateLateEveningUtcInSummerIsTheNextDay) {
  const auto& cal = england();
  EXPECT_EQ(S(cal.local_date(I("2026-07-01T23:30:00Z"))), "2026-07-02");
  EXPECT_EQ(S(cal.local_date(I("2026-07-01T22:59:59.999Z"))), "2026-07-01");
  EXPECT_EQ(S(cal.local_date(I("2026-07-01T23:00:00Z"))), "2026-07-02");
  // In winter UTC and local dates agree.
  EXPECT_EQ(S(cal.local_date(I("2026-01-15T23:30:00Z"))), "2026-01-15");
  EXPECT_EQ(S(cal.local_date(I("2026-01-16T00:00:00Z"))), "2026-01-16");
  // Offsets in the text are honoured: 00:30+01:00 is 23:30Z the day before.
  EXPECT_EQ(S(cal.local_date(I("2026-07-02T00:30:00+01:00"))), "2026-07-02");
  EXPECT_EQ(S(cal.local_date(I("2026-07-01T18:30:00-05:00"))), "2026-07-02");
  // Thursday 23:30Z in July is Friday locally: 1 working day is Monday, not Friday.
  EXPECT_EQ(due(cal, "2026-07-02T23:30:00Z", {1, DeadlineUnit::working_days}),
            "2026-07-06T16:00:00Z");
  EXPECT_EQ(due(cal, "2026-07-02T22:30:00Z", {1, DeadlineUnit::working_days}),
            "2026-07-03T16:00:00Z");
}

// Unrolled: the arithmetic itself (a protocol may set roll_to_working_day false).
TEST(Deadline, DaysAndWeeksAreCalendarDays) {
  const auto& cal = england();
  // From Thursday 17 December 2026.
  EXPECT_EQ(due(cal, "2026-12-17T09:30:00Z", {10, DeadlineUnit::days, false}),
            "2026-12-27T17:00:00Z");
  EXPECT_EQ(due(cal, "2026-12-17T09:30:00Z", {2, DeadlineUnit::weeks, false}),
            "2026-12-31T17:00:00Z");
  // Weeks land on holidays and weekends without moving: +7N days exactly.
  EXPECT_EQ(S(cal.due_date(I("2026-12-21T09:00:00Z"), {1, DeadlineUnit::weeks, false})),
            "2026-12-28");
  EXPECT_EQ(S(cal.due_date(I("2026-12-18T09:00:00Z"), {1, DeadlineUnit::days, false})),
            "2026-12-19");
  EXPECT_EQ(S(cal.due_date(I("2026-12-11T09:00:00Z"), {2, DeadlineUnit::weeks, false})),
            "2026-12-25");
  // Across the spring change: 17:00 is BST at the far end.
  EXPECT_EQ(due(cal, "2026-03-20T09:00:00Z", {1, DeadlineUnit::weeks, false}),
            "2026-03-27T17:00:00Z");
  EXPECT_EQ(due(cal, "2026-03-27T09:00:00Z", {1, DeadlineUnit::weeks, false}),
            "2026-04-03T16:00:00Z");
  // Counted from the local date: 23:30Z on 1 July is 2 July in London.
  EXPECT_EQ(S(cal.due_date(I("2026-07-01T23:30:00Z"), {1, DeadlineUnit::days, false})),
            "2026-07-03");
  EXPECT_EQ(S(cal.due_date(I("2026-07-01T23:30:00Z"), {4, DeadlineUnit::weeks, false})),
            "2026-07-30");
  // Zero of anything is the start's local date.
  EXPECT_EQ(S(cal.due_date(I("2026-12-19T09:00:00Z"), {0, DeadlineUnit::working_days})),
            "2026-12-19");
}

// Walsall "within 7 days": a deadline that ends on a weekend or bank holiday
// moves to the next working day (end of day), so nobody is late on a day off.
TEST(Deadline, CalendarDaysRollToTheNextWorkingDay) {
  const auto& cal = england();
  // Sunday 27 December 2026 -> Tuesday 29th (28th is the Boxing Day substitute).
  EXPECT_EQ(due(cal, "2026-12-17T09:30:00Z", {10, DeadlineUnit::days}), "2026-12-29T17:00:00Z");
  // Good Friday 26 March 2027 -> Tuesday 30th after Easter Monday, in BST.
  EXPECT_EQ(due(cal, "2027-03-19T10:00:00Z", {7, DeadlineUnit::days}), "2027-03-30T16:00:00Z");
  // Saturday 25 December 2027 -> Wednesday 29th: 27th and 28th are both substitutes.
  EXPECT_EQ(due(cal, "2027-12-22T10:00:00Z", {3, DeadlineUnit::days}), "2027-12-29T17:00:00Z");
  // Late May (31 May 2027) and August (30 August 2027) bank holidays.
  EXPECT_EQ(due(cal, "2027-05-28T10:00:00Z", {3, DeadlineUnit::days}), "2027-06-01T16:00:00Z");
  EXPECT_EQ(due(cal, "2027-08-16T10:00:00Z", {2, DeadlineUnit::weeks}), "2027-08-31T16:00:00Z");
  // Autumn clock change: Sunday 31 October 2027 -> Monday 1 November, GMT.
  EXPECT_EQ(due(cal, "2027-10-27T10:00:00Z", {4, DeadlineUnit::days}), "2027-11-01T17:00:00Z");
  // A working day is left where it is.
  EXPECT_EQ(due(cal, "2027-02-01T10:00:00Z", {3, DeadlineUnit::days}), "2027-02-04T17:00:00Z");
}

// ---------------------------------------------------------------------------
// Other divisions in the shipped file

TEST(OtherDivisions, ScotlandHasItsOwnHolidays) {
  const WorkingCalendar cal(bank_holidays_json(), "scotland");
  EXPECT_FALSE(cal.is_working_day(D(2026, 1, 2)));   // 2nd January
  EXPECT_TRUE(cal.is_working_day(D(2026, 4, 6)));    // no Easter Monday
  EXPECT_FALSE(cal.is_working_day(D(2026, 8, 3)));   // first Monday of August
  EXPECT_TRUE(cal.is_working_day(D(2026, 8, 31)));   // not the last
  EXPECT_FALSE(cal.is_working_day(D(2024, 12, 2)));  // St Andrew's Day substitute
  EXPECT_FALSE(cal.is_working_day(D(2026, 6, 15)));  // World Cup bank holiday
  EXPECT_FALSE(cal.is_working_day(D(2028, 1, 4)));   // 2nd January substitute
  EXPECT_EQ(S(cal.add_working_days(D(2027, 12, 31), 1)), "2028-01-05");
}

TEST(OtherDivisions, NorthernIrelandHasItsOwnHolidays) {
  const WorkingCalendar cal(bank_holidays_json(), "northern-ireland");
  EXPECT_FALSE(cal.is_working_day(D(2026, 3, 17)));  // St Patrick's Day
  EXPECT_FALSE(cal.is_working_day(D(2026, 7, 13)));  // Boyne, substitute for Sunday 12th
  EXPECT_FALSE(cal.is_working_day(D(2024, 3, 18)));  // St Patrick's Day substitute
  EXPECT_FALSE(cal.is_working_day(D(2026, 4, 6)));   // Easter Monday
  EXPECT_TRUE(england().is_working_day(D(2026, 7, 13)));
}

// ---------------------------------------------------------------------------
// Constructor errors

void expect_invalid(std::string_view json, const std::string& division,
                    const std::vector<std::string>& fragments,
                    const std::string& zone = "Europe/London") {
  try {
    static_cast<void>(WorkingCalendar(json, division, zone));
    ADD_FAILURE() << "no exception for: " << json;
  } catch (const std::invalid_argument& e) {
    for (const auto& fragment : fragments) {
      EXPECT_THAT(e.what(), HasSubstr(fragment)) << "for: " << json;
    }
  }
}

constexpr std::string_view kMinimal =
    R"({"england-and-wales":{"division":"england-and-wales","events":[)"
    R"({"title":"Christmas Day","date":"2026-12-25","notes":"","bunting":true}]}})";

TEST(Constructor, AcceptsAMinimalFile) {
  const WorkingCalendar cal(kMinimal, "england-and-wales");
  EXPECT_FALSE(cal.is_working_day(D(2026, 12, 25)));
  EXPECT_TRUE(cal.is_working_day(D(2026, 12, 24)));
  EXPECT_EQ(S(cal.first_holiday()), "2026-12-25");
}

TEST(Constructor, SkipsMembersItDoesNotUse) {
  // Other divisions, unknown fields (even ones named "date" or "events" deeper
  // down) and member order do not matter.
  const std::string_view json = R"({
    "other": [1, {"a": null}, "x"],
    "england-and-wales": {
      "x": {"events": 5, "date": "nonsense"},
      "events": [
        {"title": "Christmas Day", "date": "2026-12-25", "extra": {"date": "bad"}, "n": [1.5]},
        {"date": "2026-12-28", "title": "Boxing Day", "notes": "Substitute day", "bunting": true}
      ],
      "division": "england-and-wales"
    },
    "scotland": {"division": 7}
  })";
  const WorkingCalendar cal(json, "england-and-wales");
  EXPECT_TRUE(cal.is_bank_holiday(D(2026, 12, 25)));
  EXPECT_TRUE(cal.is_bank_holiday(D(2026, 12, 28)));
  EXPECT_EQ(S(cal.first_holiday()), "2026-12-25");
  EXPECT_EQ(S(cal.last_holiday()), "2026-12-28");
  EXPECT_EQ(S(cal.add_working_days(D(2026, 12, 24), 1)), "2026-12-29");
}

TEST(Constructor, MalformedJson) {
  expect_invalid("", "england-and-wales", {"not valid JSON"});
  expect_invalid(R"({"england-and-wales":{"events":[)", "england-and-wales", {"not valid JSON"});
  expect_invalid("[]", "england-and-wales", {"not a JSON object"});
  expect_invalid("17", "england-and-wales", {"not a JSON object"});
  expect_invalid(R"({"england-and-wales":{"events":[{"date":"2026-12-25"}]}} x)",
                 "england-and-wales", {"not valid JSON"});
  expect_invalid(R"({"england-and-wales":{"events":[{"date":"2026-12-25",}]}})",
                 "england-and-wales", {"not valid JSON"});
  expect_invalid(
      "{\"england-and-wales\":{\"events\":[{\"date\":\"2026-12-25\",\"title\":\"\xff\"}]}}",
      "england-and-wales", {"not valid JSON"});  // invalid UTF-8
  std::string with_nul = R"({"england-and-wales":{"events":[{"date":"2026-12-25"}]}})";
  with_nul += '\0';
  with_nul += "x";
  expect_invalid(with_nul, "england-and-wales", {"not valid JSON", "NUL"});
  expect_invalid(R"({"england-and-wales":[]})", "england-and-wales",
                 {"england-and-wales", "not a JSON object"});
}

// A hostile or damaged bank-holidays file goes through the same limits as
// every file the service reads (docs/decisions/0035): refused with the reason,
// never a crash. 200,000 levels used to overflow the recursive SAX parse.
TEST(Constructor, HostileFilesAreRefusedByTheJsonLimits) {
  const std::string div = "england-and-wales";
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  expect_invalid(deep, div, {"not valid JSON", "nesting deeper than 64 levels"});
  const std::string deep_inside = R"({"england-and-wales":{"events":[{"date":"2026-12-25","x":)" +
                                  std::string(100, '[') + std::string(100, ']') + "}]}}";
  expect_invalid(deep_inside, div, {"not valid JSON", "nesting deeper than 64 levels"});
  expect_invalid(R"({"england-and-wales":{"events":[{"date":"2026-12-25","title":"\uDC00"}]}})",
                 div, {"not valid JSON", "unpaired UTF-16 surrogate"});
  expect_invalid(R"({"england-and-wales":{"events":[{"date":"2026-12-25","title":"a\u0000"}]}})",
                 div, {"not valid JSON", "NUL character in a string"});
  std::string huge = R"({"england-and-wales":{"events":[{"date":"2026-12-25","t":")";
  huge += std::string(64 * 1024 * 1024, 'a');
  huge += "\"}]}}";
  expect_invalid(huge, div, {"not valid JSON", "value larger than 67108864 bytes"});
  // A whole byte order mark is allowed, as in every other file.
  const WorkingCalendar bom("\xEF\xBB\xBF" + std::string(kMinimal), div);
  EXPECT_EQ(bom.division(), div);
}

TEST(Constructor, UnknownDivision) {
  expect_invalid(kMinimal, "wales", {"division 'wales' not found", "england-and-wales"});
  expect_invalid(bank_holidays_json(), "England-and-Wales", {"'England-and-Wales' not found"});
}

TEST(Constructor, BadEventsOrDates) {
  const std::string div = "england-and-wales";
  expect_invalid(R"({"england-and-wales":{"division":"england-and-wales"}})", div,
                 {"'events'", "missing"});
  expect_invalid(R"({"england-and-wales":{"events":{}}})", div, {"'events'", "not an array"});
  expect_invalid(R"({"england-and-wales":{"events":[]}})", div, {"'events'", "no events"});
  expect_invalid(
      R"({"england-and-wales":{"division":"scotland","events":[{"date":"2026-12-25"}]}})", div,
      {"'division'", "scotland"});
  expect_invalid(R"({"england-and-wales":{"events":[{"date":"2026-12-25"},{"title":"x"}]}})", div,
                 {"england-and-wales", "event 1", "'date'", "missing"});
  expect_invalid(R"({"england-and-wales":{"events":[{"date":20261225}]}})", div,
                 {"event 0", "'date'", "not a string"});
  expect_invalid(R"({"england-and-wales":{"events":["2026-12-25"]}})", div,
                 {"event 0", "not a JSON object"});
  // A repeated key is refused by the JSON read itself (json::check), before
  // the division is looked at: no reader can disagree on which one counts.
  expect_invalid(R"({"england-and-wales":{"events":[{"date":"2026-12-25","date":"2026-12-26"}]}})",
                 div, {"not valid JSON", "line 1 column", "duplicate key"});
  expect_invalid(
      R"({"england-and-wales":{"events":[{"date":"2026-12-25"}]},"england-and-wales":{}})", div,
      {"not valid JSON", "duplicate key"});
  for (const char* bad : {"2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-12-25T00",
                          "2026/12/25", "26-12-25", " 2026-12-25", "2026-1-05", ""}) {
    std::string json = R"({"england-and-wales":{"events":[{"date":")";
    json.append(bad).append(R"("}]}})");
    std::string quoted = "'";  // built with append: GCC 12 -O3 -Wrestrict misfires on "'" + s
    quoted.append(bad).append("'");
    expect_invalid(
        json, div,
        {"division 'england-and-wales'", "'date'", "not a valid YYYY-MM-DD date", quoted});
  }
}

TEST(Constructor, UnknownTimeZone) {
  expect_invalid(kMinimal, "england-and-wales", {"unknown time zone 'Europe/Londres'"},
                 "Europe/Londres");
  expect_invalid(kMinimal, "england-and-wales", {"unknown time zone ''"}, "");
  // A real zone works and changes local dates.
  const WorkingCalendar ny(kMinimal, "england-and-wales", "America/New_York");
  EXPECT_EQ(S(ny.local_date(I("2026-07-02T03:30:00Z"))), "2026-07-01");
  EXPECT_EQ(format_iso8601(ny.to_utc(D(2026, 7, 1), k17)), "2026-07-01T21:00:00Z");
}

// ---------------------------------------------------------------------------
// ISO 8601

TEST(Iso8601, ParsesKnownInstants) {
  EXPECT_EQ(I("2027-01-05T17:00:00Z").time_since_epoch().count(), 1799168400000);
  EXPECT_EQ(I("1970-01-01T00:00:00Z").time_since_epoch().count(), 0);
  EXPECT_EQ(I("1969-12-31T23:59:59.999Z").time_since_epoch().count(), -1);
  EXPECT_EQ(I("2026-12-17T09:30:00.250+01:00").time_since_epoch().count(), 1797496200250);
  EXPECT_EQ(I("2026-12-17T03:00:00.250-05:30"), I("2026-12-17T08:30:00.250Z"));
  EXPECT_EQ(I("2026-12-17T08:30:00.250+00:00"), I("2026-12-17T08:30:00.250Z"));
  EXPECT_EQ(I("2026-12-17T08:30:00.250-00:00"), I("2026-12-17T08:30:00.250Z"));
  EXPECT_EQ(I("2026-12-18T07:30:00+23:00"), I("2026-12-17T08:30:00Z"));
  // Leap days.
  EXPECT_EQ(I("2028-02-29T00:00:00Z") + std::chrono::days{1}, I("2028-03-01T00:00:00Z"));
  EXPECT_TRUE(parse_iso8601("2000-02-29T12:00:00Z"));
  EXPECT_TRUE(parse_iso8601("2026-12-31T23:59:59Z"));
}

TEST(Iso8601, FractionalSecondsAreTruncatedToMilliseconds) {
  auto ms = [](std::string_view text) { return I(text).time_since_epoch().count() % 1000; };
  EXPECT_EQ(ms("2026-12-17T09:30:00.5Z"), 500);
  EXPECT_EQ(ms("2026-12-17T09:30:00.25Z"), 250);
  EXPECT_EQ(ms("2026-12-17T09:30:00.123Z"), 123);
  EXPECT_EQ(ms("2026-12-17T09:30:00.1239Z"), 123);
  EXPECT_EQ(ms("2026-12-17T09:30:00.999999999Z"), 999);
  EXPECT_EQ(ms("2026-12-17T09:30:00.000999+01:00"), 0);
  EXPECT_EQ(ms("2026-12-17T09:30:00.0100000000000000000000000001Z"), 10);
}

TEST(Iso8601, Formats) {
  EXPECT_EQ(format_iso8601(Instant{std::chrono::milliseconds{1799168400000}}),
            "2027-01-05T17:00:00Z");
  EXPECT_EQ(format_iso8601(Instant{}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_iso8601(Instant{std::chrono::milliseconds{-1}}), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_iso8601(Instant{std::chrono::milliseconds{1797496200250}}),
            "2026-12-17T08:30:00.250Z");
  EXPECT_EQ(format_iso8601(Instant{std::chrono::milliseconds{1797496200001}}),
            "2026-12-17T08:30:00.001Z");
  EXPECT_EQ(format_iso8601(I("2026-12-17T09:30:00.000+01:00")), "2026-12-17T08:30:00Z");
  EXPECT_EQ(format_iso8601(I("2028-02-29T23:59:59.999Z")), "2028-02-29T23:59:59.999Z");
}

TEST(Iso8601, RoundTripsAgainstDateLibraryFormatting) {
  std::mt19937_64 rng(20261217);
  // 1900-01-01 .. 2199-12-31 in milliseconds.
  std::uniform_int_distribution<std::int64_t> dist(-2208988800000, 7258118399999);
  for (int i = 0; i < 100000; ++i) {
    const Instant t{std::chrono::milliseconds{dist(rng)}};
    const std::string text = format_iso8601(t);
    std::string want = date::format("%FT%TZ", t);  // "....SS.mmmZ"
    if (t.time_since_epoch().count() % 1000 == 0) want.erase(19, 4);
    ASSERT_EQ(text, want);
    ASSERT_EQ(parse_iso8601(text), t) << text;
    const Instant whole = std::chrono::floor<std::chrono::seconds>(t);
    ASSERT_EQ(format_iso8601(whole).size(), 20u) << format_iso8601(whole);
  }
}

TEST(Iso8601, RejectsEverythingElse) {
  for (const char* bad : {
           "",
           "2027-01-05",
           "2027-01-05T17:00:00",         // no offset
           "2027-01-05T17:00:00.123",     // no offset
           "2027-01-05T17:00Z",           // no seconds
           "2027-01-05T17:00:00z",        // lower-case Z
           "2027-01-05t17:00:00Z",        // lower-case T
           "2027-01-05 17:00:00Z",        // space separator
           "2027-13-01T00:00:00Z",        // month
           "2027-00-01T00:00:00Z",        // month
           "2027-01-32T00:00:00Z",        // day
           "2027-01-00T00:00:00Z",        // day
           "2027-04-31T00:00:00Z",        // day of April
           "2027-02-29T00:00:00Z",        // not a leap year
           "2100-02-29T00:00:00Z",        // not a leap year
           "2027-01-05T24:00:00Z",        // hour
           "2027-01-05T17:60:00Z",        // minute
           "2027-01-05T17:00:60Z",        // second (no leap seconds)
           "2027-01-05T17:00:00+01",      // short offset
           "2027-01-05T17:00:00+0100",    // basic-format offset
           "2027-01-05T17:00:00+1:00",    // short offset hour
           "2027-01-05T17:00:00+24:00",   // offset hour
           "2027-01-05T17:00:00+01:60",   // offset minute
           "2027-01-05T17:00:00+01:00Z",  // both
           "2027-01-05T17:00:00Zx",       // trailing
           "2027-01-05T17:00:00Z ",       // trailing space
           " 2027-01-05T17:00:00Z",       // leading space
           "2027-01-05T17:00:00.Z",       // empty fraction
           "2027-01-05T17:00:00,5Z",      // comma fraction
           "2027-1-05T17:00:00Z",         // one-digit month
           "27-01-05T17:00:00Z",          // two-digit year
           "+2027-01-05T17:00:00Z",       // signed year
           "2027-01-05T7:00:00Z",         // one-digit hour
           "2027/01/05T17:00:00Z",        // wrong separators
           "2027-01-05T17-00-00Z",        // wrong separators
           "20270105T170000Z",            // basic format
           "2027-0a-05T17:00:00Z",        // non-digit
           "2027-01-05T17:00:00-0a:00",   // non-digit offset
       }) {
    EXPECT_FALSE(parse_iso8601(bad)) << '"' << bad << '"';
  }
  // Embedded NUL: the view's length counts, not C-string termination.
  EXPECT_FALSE(parse_iso8601(std::string_view("2027-01-05T17:00:00Z\0", 21)));
  EXPECT_FALSE(parse_iso8601(std::string_view("2027-01-05T17:00:00\0Z", 21)));
}

// ---------------------------------------------------------------------------
// Beyond the published data: provisional holidays from the statutory rules

// The bank holidays a calendar reports in one year, found day by day.
std::set<sys_days> holidays_in_year(const WorkingCalendar& cal, int y) {
  std::set<sys_days> out;
  for (sys_days day = D(y, 1, 1); day <= D(y, 12, 31); day += std::chrono::days{1}) {
    if (cal.is_bank_holiday(day)) out.insert(day);
  }
  return out;
}

// Written out by hand from a printed calendar: Easter Sunday is 1 April 2029,
// 21 April 2030, 13 April 2031, 28 March 2032 and 17 April 2033.
const std::map<int, std::set<sys_days>>& england_and_wales_2029_2033() {
  static const std::map<int, std::set<sys_days>> years = {
      {2029,
       {D(2029, 1, 1), D(2029, 3, 30), D(2029, 4, 2), D(2029, 5, 7), D(2029, 5, 28), D(2029, 8, 27),
        D(2029, 12, 25), D(2029, 12, 26)}},
      {2030,
       {D(2030, 1, 1), D(2030, 4, 19), D(2030, 4, 22), D(2030, 5, 6), D(2030, 5, 27),
        D(2030, 8, 26), D(2030, 12, 25), D(2030, 12, 26)}},
      {2031,
       {D(2031, 1, 1), D(2031, 4, 11), D(2031, 4, 14), D(2031, 5, 5), D(2031, 5, 26),
        D(2031, 8, 25), D(2031, 12, 25), D(2031, 12, 26)}},
      // Christmas on a Saturday: Monday 27 and Tuesday 28 (as in 2027).
      {2032,
       {D(2032, 1, 1), D(2032, 3, 26), D(2032, 3, 29), D(2032, 5, 3), D(2032, 5, 31),
        D(2032, 8, 30), D(2032, 12, 27), D(2032, 12, 28)}},
      // New Year's Day on a Saturday (Monday 3rd); Christmas on a Sunday: Boxing
      // Day Monday 26, Christmas substitute Tuesday 27.
      {2033,
       {D(2033, 1, 3), D(2033, 4, 15), D(2033, 4, 18), D(2033, 5, 2), D(2033, 5, 30),
        D(2033, 8, 29), D(2033, 12, 26), D(2033, 12, 27)}},
  };
  return years;
}

TEST(Provisional, EnglandAndWales2029To2033AreTheHandWrittenDays) {
  const auto& cal = england();
  for (const auto& [year, want] : england_and_wales_2029_2033()) {
    EXPECT_EQ(holidays_in_year(cal, year), want) << "year " << year;
    for (const sys_days h : want) {
      EXPECT_FALSE(cal.is_working_day(h)) << S(h);
      EXPECT_TRUE(cal.is_provisional(h)) << S(h);
    }
  }
  // Christmas 2032 and 2033 fall on a weekend: those days are not holidays themselves.
  EXPECT_FALSE(cal.is_bank_holiday(D(2032, 12, 25)));
  EXPECT_FALSE(cal.is_bank_holiday(D(2033, 1, 1)));
  EXPECT_TRUE(cal.is_working_day(D(2032, 12, 29)));
  EXPECT_TRUE(cal.is_working_day(D(2033, 1, 4)));
}

TEST(Provisional, PublishedUntilTheFilesLastDate) {
  const auto& cal = england();
  EXPECT_EQ(S(cal.published_until()), "2028-12-26");
  EXPECT_FALSE(cal.is_provisional(D(2028, 12, 26)));
  EXPECT_FALSE(cal.is_provisional(D(2026, 5, 25)));
  EXPECT_TRUE(cal.is_provisional(D(2028, 12, 27)));
  EXPECT_TRUE(cal.is_provisional(D(2029, 4, 2)));
  EXPECT_TRUE(cal.has_provisional_rules());
}

TEST(Provisional, PublishedDaysLeftCountsFromTheLocalDate) {
  const auto& cal = england();
  // 6 Dec 2026 -> 26 Dec 2028: 365 + 366 (29 February 2028) + 20.
  EXPECT_EQ(cal.published_days_left(I("2026-12-06T12:00:00Z")).count(), 751);
  EXPECT_EQ(cal.published_days_left(I("2027-12-26T23:30:00Z")).count(), 366);
  EXPECT_EQ(cal.published_days_left(I("2027-12-27T00:00:00Z")).count(), 365);
  // 23:30Z on 30 June is 1 July in London (BST): 178 days to 26 December.
  EXPECT_EQ(cal.published_days_left(I("2028-06-30T23:30:00Z")).count(), 178);
  EXPECT_EQ(cal.published_days_left(I("2028-12-26T16:00:00Z")).count(), 0);
  EXPECT_EQ(cal.published_days_left(I("2029-01-01T09:00:00Z")).count(), -6);
}

TEST(Provisional, AgreesWithTheRulesInTheTestForACenturyAndMore) {
  // england_and_wales_by_rule (above) is this file's own computation; the
  // calendar's lookup table ends a century after the data, and later years are
  // computed on demand: both must agree with it.
  const auto& cal = england();
  for (int y = 2029; y <= 2160; ++y) {
    ASSERT_EQ(holidays_in_year(cal, y), england_and_wales_by_rule(y)) << "year " << y;
  }
  // A date far beyond any table: Good Friday 2500 (Easter Sunday 18 April 2500).
  EXPECT_FALSE(cal.is_working_day(D(2500, 4, 16)));
  EXPECT_FALSE(cal.is_working_day(D(2500, 4, 19)));
  EXPECT_EQ(S(cal.add_working_days(D(2500, 4, 15), 1)), "2500-04-20");
}

TEST(Provisional, AddWorkingDaysAgreesWithAnIndependentWalk) {
  // The holidays the walk skips come from the hand-written 2028 list and the
  // test's own rules, never from the calendar.
  std::set<sys_days> off(england_and_wales_2024_2028().begin(),
                         england_and_wales_2024_2028().end());
  for (int y = 2029; y <= 2032; ++y) {
    const auto rules = england_and_wales_by_rule(y);
    off.insert(rules.begin(), rules.end());
  }
  auto working = [&](sys_days day) { return !is_weekend(day) && off.count(day) == 0; };
  const auto& cal = england();
  for (sys_days from = D(2028, 11, 1); from <= D(2031, 1, 31); from += std::chrono::days{1}) {
    sys_days walk = from;
    for (int n = 1; n <= 30; ++n) {
      do {
        walk += std::chrono::days{1};
      } while (!working(walk));
      ASSERT_EQ(cal.add_working_days(from, n), walk) << S(from) << " + " << n;
    }
  }
}

TEST(Provisional, AddWorkingDaysAcrossTheEndOfTheTable) {
  // Published until 25 Dec 2026, so the table ends on 31 Dec 2126 and 2127 is
  // computed on demand: a walk over is_working_day must agree either side.
  const WorkingCalendar cal(kMinimal, "england-and-wales");
  // Christmas 2126 is a Wednesday, New Year's Day 2127 too. From Tuesday 24
  // December: 27, 30, 31 December, then 2 January (table, then on demand).
  EXPECT_FALSE(cal.is_working_day(D(2126, 12, 25)));
  EXPECT_FALSE(cal.is_working_day(D(2126, 12, 26)));
  EXPECT_FALSE(cal.is_working_day(D(2127, 1, 1)));
  EXPECT_EQ(S(cal.add_working_days(D(2126, 12, 24), 1)), "2126-12-27");
  EXPECT_EQ(S(cal.add_working_days(D(2126, 12, 24), 3)), "2126-12-31");
  EXPECT_EQ(S(cal.add_working_days(D(2126, 12, 24), 4)), "2127-01-02");
  for (sys_days from = D(2126, 11, 1); from <= D(2127, 5, 31); from += std::chrono::days{1}) {
    sys_days walk = from;
    for (int n = 1; n <= 40; ++n) {
      do {
        walk += std::chrono::days{1};
      } while (!cal.is_working_day(walk));
      ASSERT_EQ(cal.add_working_days(from, n), walk) << S(from) << " + " << n;
    }
  }
  EXPECT_EQ(holidays_in_year(cal, 2127), england_and_wales_by_rule(2127));
}

TEST(Provisional, DeadlinesOverChristmasAndEaster2029And2030) {
  const auto& cal = england();
  // Calderdale Stage 1, 5 working days, raised Tuesday 18 December 2029:
  // 19, 20, 21, 24, then 27 (25 and 26 are holidays). Without the rules it was
  // due on Christmas Day.
  EXPECT_EQ(due(cal, "2029-12-18T10:00:00Z", {5, DeadlineUnit::working_days}),
            "2029-12-27T17:00:00Z");
  // 10 working days from Friday 20 December 2030: 23, 24, 27, 30, 31, then
  // 2, 3, 6, 7, 8 January 2031 (1 January is a Wednesday holiday).
  EXPECT_EQ(due(cal, "2030-12-20T10:00:00Z", {10, DeadlineUnit::working_days}),
            "2031-01-08T17:00:00Z");
  // Easter 2029, BST: Thursday 29 March + 3 skips Good Friday 30 March and
  // Easter Monday 2 April: 3, 4, 5 April.
  EXPECT_EQ(due(cal, "2029-03-29T10:00:00Z", {3, DeadlineUnit::working_days}),
            "2029-04-05T16:00:00Z");
  // Easter 2030: Wednesday 17 April + 5: 18, 23, 24, 25, 26 April.
  EXPECT_EQ(due(cal, "2030-04-17T10:00:00Z", {5, DeadlineUnit::working_days}),
            "2030-04-26T16:00:00Z");
  // A 7-day deadline from Friday 12 April 2030 ends on Good Friday and rolls
  // past Easter Monday to Tuesday 23 April.
  EXPECT_EQ(due(cal, "2030-04-12T10:00:00Z", {7, DeadlineUnit::days}), "2030-04-23T16:00:00Z");
  // Two weeks from 11 December 2029 end on Christmas Day: rolled to 27th.
  EXPECT_EQ(due(cal, "2029-12-11T10:00:00Z", {2, DeadlineUnit::weeks}), "2029-12-27T17:00:00Z");
}

TEST(Provisional, ScotlandAndNorthernIrelandByHand) {
  const WorkingCalendar scotland(bank_holidays_json(), "scotland");
  // 2 January, no Easter Monday, first Monday of August, St Andrew's Day
  // (Saturday 30 November 2030 -> Monday 2 December).
  EXPECT_EQ(holidays_in_year(scotland, 2029),
            (std::set<sys_days>{D(2029, 1, 1), D(2029, 1, 2), D(2029, 3, 30), D(2029, 5, 7),
                                D(2029, 5, 28), D(2029, 8, 6), D(2029, 11, 30), D(2029, 12, 25),
                                D(2029, 12, 26)}));
  EXPECT_EQ(holidays_in_year(scotland, 2030),
            (std::set<sys_days>{D(2030, 1, 1), D(2030, 1, 2), D(2030, 4, 19), D(2030, 5, 6),
                                D(2030, 5, 27), D(2030, 8, 5), D(2030, 12, 2), D(2030, 12, 25),
                                D(2030, 12, 26)}));
  // St Patrick's Day (Saturday 17 March 2029 -> Monday 19; Sunday 2030 ->
  // Monday 18) and the Boyne (12 July, a weekday both years).
  const WorkingCalendar ni(bank_holidays_json(), "northern-ireland");
  EXPECT_EQ(holidays_in_year(ni, 2029),
            (std::set<sys_days>{D(2029, 1, 1), D(2029, 3, 19), D(2029, 3, 30), D(2029, 4, 2),
                                D(2029, 5, 7), D(2029, 5, 28), D(2029, 7, 12), D(2029, 8, 27),
                                D(2029, 12, 25), D(2029, 12, 26)}));
  EXPECT_EQ(holidays_in_year(ni, 2030),
            (std::set<sys_days>{D(2030, 1, 1), D(2030, 3, 18), D(2030, 4, 19), D(2030, 4, 22),
                                D(2030, 5, 6), D(2030, 5, 27), D(2030, 7, 12), D(2030, 8, 26),
                                D(2030, 12, 25), D(2030, 12, 26)}));
}

TEST(Provisional, TheRulesReproduceTheShippedFileExceptItsOneOffs) {
  // The only one-off in the shipped 2024-2028 data: Scotland's bank holiday of
  // 15 June 2026 (the FIFA World Cup). England and Wales has none, so its five
  // years must match the rules exactly.
  const std::map<std::string, std::set<sys_days>> one_offs = {
      {"england-and-wales", {}},
      {"scotland", {D(2026, 6, 15)}},
      {"northern-ireland", {}},
  };
  for (const auto& [division, extra] : one_offs) {
    const WorkingCalendar cal(bank_holidays_json(), division);
    for (int y = 2024; y <= 2028; ++y) {
      const auto rules = statutory_bank_holidays(division, y);
      std::set<sys_days> want(rules.begin(), rules.end());
      EXPECT_EQ(want.size(), rules.size()) << division << " " << y << ": duplicate rule dates";
      for (const sys_days d : extra) {
        if (static_cast<int>(std::chrono::year_month_day{d}.year()) == y) want.insert(d);
      }
      EXPECT_EQ(holidays_in_year(cal, y), want) << division << " " << y;
    }
  }
}

TEST(Provisional, PublishedDataWinsWhereItExists) {
  // England and Wales 2022 as GOV.UK published it: the spring bank holiday
  // moved from Monday 30 May to Thursday 2 June, the Platinum Jubilee on Friday
  // 3 June, the Queen's state funeral on Monday 19 September.
  const std::string_view json =
      R"({"england-and-wales":{"division":"england-and-wales","events":[)"
      R"({"date":"2022-01-03"},{"date":"2022-04-15"},{"date":"2022-04-18"},)"
      R"({"date":"2022-05-02"},{"date":"2022-06-02"},{"date":"2022-06-03"},)"
      R"({"date":"2022-08-29"},{"date":"2022-09-19"},{"date":"2022-12-26"},)"
      R"({"date":"2022-12-27"}]}})";
  const WorkingCalendar cal(json, "england-and-wales");
  EXPECT_EQ(S(cal.published_until()), "2022-12-27");
  EXPECT_TRUE(cal.is_working_day(D(2022, 5, 30)));  // the rule's Monday, moved that year
  EXPECT_FALSE(cal.is_working_day(D(2022, 6, 2)));
  EXPECT_FALSE(cal.is_working_day(D(2022, 9, 19)));
  EXPECT_FALSE(cal.is_provisional(D(2022, 9, 19)));
  EXPECT_EQ(holidays_in_year(cal, 2022).size(), 10u);
  // 2023 comes from the rules: 2 January (New Year's Day a Sunday), Easter 9
  // April, ...; the coronation holiday of Monday 8 May 2023 was a one-off
  // proclamation no rule can know, so it stays a working day here.
  EXPECT_EQ(holidays_in_year(cal, 2023),
            (std::set<sys_days>{D(2023, 1, 2), D(2023, 4, 7), D(2023, 4, 10), D(2023, 5, 1),
                                D(2023, 5, 29), D(2023, 8, 28), D(2023, 12, 25), D(2023, 12, 26)}));
  EXPECT_TRUE(cal.is_working_day(D(2023, 5, 8)));
  EXPECT_TRUE(cal.is_provisional(D(2023, 5, 8)));
}

TEST(Provisional, DivisionsWithoutRules) {
  EXPECT_TRUE(statutory_bank_holidays("wales", 2029).empty());
  EXPECT_FALSE(has_statutory_rules("isle-of-man"));
  EXPECT_TRUE(has_statutory_rules("scotland"));
  const std::string_view json =
      R"({"isle-of-man":{"division":"isle-of-man","events":[{"date":"2028-12-26"}]}})";
  const WorkingCalendar cal(json, "isle-of-man");
  EXPECT_FALSE(cal.has_provisional_rules());
  // Beyond its data only weekends are skipped, as before there were rules.
  EXPECT_TRUE(cal.is_working_day(D(2029, 1, 1)));
  EXPECT_FALSE(cal.is_bank_holiday(D(2029, 12, 25)));
  EXPECT_EQ(S(cal.add_working_days(D(2029, 12, 21), 2)), "2029-12-25");
  EXPECT_EQ(cal.published_days_left(I("2028-12-20T12:00:00Z")).count(), 6);
}

}  // namespace
}  // namespace crp
