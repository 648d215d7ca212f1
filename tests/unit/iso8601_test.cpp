// ISO 8601 parsing and formatting (adapter/calendar/time.h): instants written out by
// hand, never read back from the implementation.
#include <random>
#include <string>
#include <string_view>

#include "tests/unit/calendar_fixture.h"

namespace crp {
namespace {

using namespace calendar_testing;  // NOLINT(google-build-using-namespace): D, I, sys_days, ...
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

}  // namespace
}  // namespace crp
