// Beyond the published bank-holiday data: provisional holidays from the statutory rules,
// checked against days written out by hand from a printed calendar and an independent
// walk, and the published-days-left figure.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/calendar_fixture.h"

namespace crp {
namespace {

using namespace calendar_testing;  // NOLINT(google-build-using-namespace): D, I, sys_days, ...
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
