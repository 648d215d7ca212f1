// Working-day arithmetic exactly as SPEC.md defines it: Monday–Friday minus the
// bank holidays of one division of a GOV.UK bank-holidays.json file, local time
// from the system time-zone database (never hand-written DST rules).
#pragma once

#include <chrono>
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

  // The due date of a deadline started at `start` (SPEC: working days count
  // strictly after the start's local date; days and weeks are calendar days).
  std::chrono::sys_days due_date(Instant start, Deadline d) const;

  // The due date at `end_of_day` local time, as a UTC instant.
  Instant due_instant(Instant start, Deadline d, LocalTimeOfDay end_of_day) const;

  // A local date and time of day as a UTC instant (DST-aware; a non-existent
  // local time is moved forward, an ambiguous one takes the earlier instant).
  Instant to_utc(std::chrono::sys_days local_date, LocalTimeOfDay time) const;

  const std::string& division() const { return division_; }
  std::chrono::sys_days first_holiday() const;
  std::chrono::sys_days last_holiday() const;

 private:
  std::string division_;
  const date::time_zone* zone_;
  std::set<std::chrono::sys_days> holidays_;
  // The holidays that fall Monday-Friday, sorted and unique: the only ones that
  // can turn a weekday into a non-working day. add_working_days counts them by
  // binary search instead of walking day by day.
  std::vector<std::chrono::sys_days> weekday_holidays_;
};

}  // namespace crp
