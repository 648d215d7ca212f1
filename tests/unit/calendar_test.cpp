// Working calendar and time zone tests. Expected dates are written out by hand (or
// derived from the statutory rules in calendar_fixture.h), never read back from the
// implementation, so each test fails if the feature it names is wrong.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/calendar_fixture.h"

namespace crp {
namespace {

using namespace calendar_testing;  // NOLINT(google-build-using-namespace): D, I, sys_days, ...

// ---------------------------------------------------------------------------
// England and Wales bank holidays 2024-2028

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

// Looking back (reminders, "in advance" checks): written out from a calendar.
TEST(SubtractWorkingDays, CountsBackOverWeekendsAndBankHolidays) {
  const auto& cal = england();
  EXPECT_EQ(S(cal.subtract_working_days(D(2027, 2, 2), 1)), "2027-02-01");  // Tue -> Mon
  EXPECT_EQ(S(cal.subtract_working_days(D(2027, 2, 1), 1)), "2027-01-29");  // Mon -> Fri
  // Tue 30 Mar 2027: Easter Monday 29 and Good Friday 26 are bank holidays.
  EXPECT_EQ(S(cal.subtract_working_days(D(2027, 3, 30), 1)), "2027-03-25");
  // Tue 29 Dec 2026: 28 (Boxing Day substitute) and 25 Dec are bank holidays.
  EXPECT_EQ(S(cal.subtract_working_days(D(2026, 12, 29), 1)), "2026-12-24");
  EXPECT_EQ(S(cal.subtract_working_days(D(2026, 12, 29), 3)), "2026-12-22");
  EXPECT_EQ(S(cal.subtract_working_days(D(2027, 2, 6), 1)), "2027-02-05");  // Sat -> Fri
  EXPECT_EQ(cal.subtract_working_days(D(2027, 2, 2), 0), D(2027, 2, 2));
  for (sys_days from = D(2026, 1, 1); from <= D(2028, 12, 31); from += std::chrono::days{1}) {
    for (int n = 1; n <= 10; ++n) {
      const sys_days back = cal.subtract_working_days(from, n);
      ASSERT_TRUE(cal.is_working_day(back)) << S(from) << " - " << n;
      ASSERT_LT(back, from);
      // From a working day, n working days forward from `back` come back to it.
      if (cal.is_working_day(from)) {
        ASSERT_EQ(cal.add_working_days(back, n), from) << S(from);
      }
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

}  // namespace
}  // namespace crp
