// Working-day arithmetic: Monday–Friday minus the bank holidays of one division
// of a GOV.UK bank-holidays.json file, local time from the system time-zone
// database (never hand-written DST rules). After the last date the file
// publishes, the division's statutory rules supply provisional bank holidays,
// so deadlines never silently stop skipping them (docs/decisions/0039).
#pragma once

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/calendar/time.h"

namespace date {
class time_zone;
}

namespace crp {

enum class DeadlineUnit { working_days, days, weeks };

struct Deadline {
  int amount = 0;
  DeadlineUnit unit = DeadlineUnit::working_days;
  // A calendar-day or week deadline that ends on a weekend or bank holiday
  // moves to the next working day: nobody is late on a day off.
  bool roll_to_working_day = true;
};

// Minutes after local midnight, e.g. 17:00 -> 1020.
struct LocalTimeOfDay {
  int minutes = 17 * 60;
};

// The bank holidays the standing rules give a division in a Gregorian year,
// sorted, substitute days included: what GOV.UK would publish unless a one-off
// holiday is proclaimed or a regular one moved. Divisions: "england-and-wales",
// "scotland", "northern-ireland"; any other has no rules (empty result).
std::vector<std::chrono::sys_days> statutory_bank_holidays(std::string_view division, int year);
bool has_statutory_rules(std::string_view division);

class WorkingCalendar {
 public:
  // `bank_holidays_json` is the text of a GOV.UK bank-holidays.json; `division`
  // one of its keys (e.g. "england-and-wales"); `time_zone` an IANA name.
  // Throws std::invalid_argument naming the problem when any is unusable.
  WorkingCalendar(std::string_view bank_holidays_json, const std::string& division,
                  const std::string& time_zone = "Europe/London");

  bool is_working_day(std::chrono::sys_days local_date) const;
  bool is_bank_holiday(std::chrono::sys_days local_date) const;

  // The local calendar date of an instant.
  std::chrono::sys_days local_date(Instant t) const;
  // The local date of an instant as "YYYY-MM-DD" (for people: emails, case notes).
  std::string local_date_text(Instant t) const {
    return format_iso8601(Instant(local_date(t))).substr(0, 10);
  }

  // The n-th working day strictly after `from` (n >= 1); n == 0 returns `from`.
  std::chrono::sys_days add_working_days(std::chrono::sys_days from, int n) const;
  // The n-th working day strictly before `from` (n >= 1); n <= 0 returns `from`. For the
  // few days a reminder or an "in advance" check looks back, a day-by-day walk.
  std::chrono::sys_days subtract_working_days(std::chrono::sys_days from, int n) const;

  // The due date of a deadline started at `start` (working days count
  // strictly after the start's local date; days and weeks are calendar days).
  std::chrono::sys_days due_date(Instant start, Deadline d) const;

  // The due date at `end_of_day` local time, as a UTC instant.
  Instant due_instant(Instant start, Deadline d, LocalTimeOfDay end_of_day) const;

  // A local date and time of day as a UTC instant (DST-aware; a non-existent
  // local time is moved forward, an ambiguous one takes the earlier instant).
  Instant to_utc(std::chrono::sys_days local_date, LocalTimeOfDay time) const;

  const std::string& division() const { return division_; }
  // The first and last dates the file lists for the division (published data only).
  std::chrono::sys_days first_holiday() const;
  std::chrono::sys_days last_holiday() const;

  // The last date the published data answers for: its last listed holiday.
  // Every later date takes its bank holidays from the statutory rules.
  std::chrono::sys_days published_until() const { return last_holiday(); }
  // True when whether `local_date` is a bank holiday comes from the statutory
  // rules, not the file: a one-off holiday proclaimed later can change it.
  bool is_provisional(std::chrono::sys_days local_date) const {
    return local_date > published_until();
  }
  // Days from the local date of `now` to published_until() (negative once it
  // has passed): how long before deadlines start to rest on provisional days.
  std::chrono::days published_days_left(Instant now) const {
    return published_until() - local_date(now);
  }
  // False for a division without statutory rules: beyond its data, only
  // weekends are skipped.
  bool has_provisional_rules() const { return has_rules_; }

 private:
  // Whether a weekday is a bank holiday (published or provisional).
  bool is_weekday_holiday(std::chrono::sys_days day) const;
  // How many weekday bank holidays fall in (after, upto].
  std::int64_t weekday_holidays_in(std::chrono::sys_days after, std::chrono::sys_days upto) const;

  std::string division_;
  const date::time_zone* zone_;
  std::set<std::chrono::sys_days> holidays_;  // published only
  bool has_rules_ = false;
  // The holidays that fall Monday-Friday, sorted and unique: the only ones that
  // can turn a weekday into a non-working day. Published ones, then provisional
  // ones up to table_end_; add_working_days counts them by binary search
  // instead of walking day by day.
  std::vector<std::chrono::sys_days> weekday_holidays_;
  // The last date weekday_holidays_ answers for. Later dates compute the rules
  // for their year on demand, so the calendar has no horizon; the table only
  // keeps the common case a binary search.
  std::chrono::sys_days table_end_;
};

}  // namespace crp
