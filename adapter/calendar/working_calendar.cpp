// Working-day arithmetic over a GOV.UK bank-holidays.json division, in a time
// zone from the system tz database (howardhinnant-date, USE_OS_TZDB).
//
// Behaviour worth knowing:
//  * Working days are Monday-Friday that are not bank holidays of the division.
//    After the file's last date (published_until()) the bank holidays are the
//    division's statutory ones, marked provisional; before its first date only
//    weekends are skipped (no deadline starts that far back).
//  * add_working_days(from, n) for n <= 0 returns `from` unchanged.
//  * to_utc: an ambiguous local time (the repeated hour when the clocks go back)
//    takes the earlier instant; a non-existent local time (the hour skipped when
//    the clocks go forward) becomes the instant of the transition, i.e. the first
//    local time that exists after the gap (Europe/London: 01:30 on the last
//    Sunday of March -> 01:00Z, which is 02:00 BST).
#include "adapter/calendar/working_calendar.h"

#include <date/tz.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "adapter/json/json.h"

namespace crp {
namespace {

using std::chrono::sys_days;

// Monday = 0 ... Sunday = 6 for a count of days since 1970-01-01 (a Thursday).
constexpr int weekday_index(std::int64_t z) {
  return static_cast<int>(z >= -3 ? (z + 3) % 7 : (z + 4) % 7 + 6);
}
static_assert(weekday_index(0) == 3);   // 1970-01-01 Thursday
static_assert(weekday_index(-4) == 6);  // 1969-12-28 Sunday
static_assert(weekday_index(4) == 0);   // 1970-01-05 Monday

constexpr int weekday_index(sys_days d) {
  return weekday_index(d.time_since_epoch().count());
}

int year_of(sys_days d) {
  return static_cast<int>(std::chrono::year_month_day{d}.year());
}

[[noreturn]] void fail(const std::string& message) {
  throw std::invalid_argument("bank holidays: " + message);
}

// Strict "YYYY-MM-DD"; false for anything else or an impossible date.
bool parse_date(std::string_view s, sys_days& out) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  int fields[3] = {0, 0, 0};
  const std::size_t starts[3] = {0, 5, 8};
  const std::size_t lengths[3] = {4, 2, 2};
  for (int f = 0; f < 3; ++f) {
    for (std::size_t i = starts[f]; i < starts[f] + lengths[f]; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      fields[f] = fields[f] * 10 + (s[i] - '0');
    }
  }
  const std::chrono::year_month_day ymd{std::chrono::year{fields[0]},
                                        std::chrono::month{static_cast<unsigned>(fields[1])},
                                        std::chrono::day{static_cast<unsigned>(fields[2])}};
  if (!ymd.ok()) return false;
  out = sys_days{ymd};
  return true;
}

// Flags for reading the file. In-situ parsing, and neither full-precision nor
// numbers-as-strings, keep RapidJSON 1.1's reader off its internal stack, whose
// first push does arithmetic on a null pointer (clang -fsanitize=undefined
// aborts on it; fixed upstream after 1.1.0). The DOM (rapidjson::Document)
// always uses that stack, hence this SAX handler.
constexpr unsigned kParseFlags =
    rapidjson::kParseInsituFlag | rapidjson::kParseValidateEncodingFlag;

// Reads one division of a GOV.UK bank-holidays.json as SAX events:
//   { "<division>": { "division": "<division>", "events": [ { "date": "YYYY-MM-DD", ... } ] } }
// Other members are skipped. The first problem found is kept in error() and
// stops the parse (the handler returns false).
class HolidayFileHandler
    : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, HolidayFileHandler> {
 public:
  explicit HolidayFileHandler(const std::string& division)
      : division_(division), where_("division '" + division + "'") {}

  const std::string& error() const { return error_; }
  bool found_division() const { return found_division_; }
  const std::string& divisions_seen() const { return divisions_seen_; }
  const std::vector<sys_days>& dates() const { return dates_; }

  // SAX interface.
  bool StartObject() { return open(Kind::object); }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool StartArray() { return open(Kind::array); }
  bool EndArray(rapidjson::SizeType) { return close(); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    key_.assign(s, n);
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    return value(Kind::string, std::string_view(s, n)) != Role::invalid;
  }
  bool Default() { return value(Kind::other, {}) != Role::invalid; }  // null, bools, numbers

 private:
  enum class Kind { object, array, string, other };
  enum class Role { invalid, root, division, events, event, skip };

  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }
  Role invalid(std::string message) {
    fail(std::move(message));
    return Role::invalid;
  }
  std::string event_where() const { return where_ + " event " + std::to_string(events_ - 1); }

  // Decides what a value starting now is, from its container and key.
  Role value(Kind kind, std::string_view text) {
    if (stack_.empty()) {
      if (kind != Kind::object) return invalid("file is not a JSON object of divisions");
      return Role::root;
    }
    switch (stack_.back()) {
      case Role::root:
        if (key_ != division_) {
          if (!divisions_seen_.empty()) divisions_seen_ += ", ";
          divisions_seen_ += key_;
          return Role::skip;
        }
        if (found_division_) return invalid(where_ + " appears more than once");
        found_division_ = true;
        if (kind != Kind::object) return invalid(where_ + " is not a JSON object");
        return Role::division;
      case Role::division:
        if (key_ == "division") {
          if (kind != Kind::string) return invalid(where_ + ": field 'division' is not a string");
          if (text != division_) {
            return invalid(where_ + ": field 'division' says '" + std::string(text) + "'");
          }
        } else if (key_ == "events") {
          if (found_events_) return invalid(where_ + ": field 'events' appears more than once");
          found_events_ = true;
          if (kind != Kind::array) return invalid(where_ + ": field 'events' is not an array");
          return Role::events;
        }
        return Role::skip;
      case Role::events:
        ++events_;
        if (kind != Kind::object) return invalid(event_where() + " is not a JSON object");
        event_has_date_ = false;
        return Role::event;
      case Role::event:
        if (key_ == "date") {
          if (event_has_date_) {
            return invalid(event_where() + ": field 'date' appears more than once");
          }
          event_has_date_ = true;
          if (kind != Kind::string) {
            return invalid(event_where() + ": field 'date' is not a string");
          }
          sys_days day;
          if (!parse_date(text, day)) {
            return invalid(event_where() + ": field 'date' is not a valid YYYY-MM-DD date: '" +
                           std::string(text) + "'");
          }
          dates_.push_back(day);
        }
        return Role::skip;
      case Role::skip:
      case Role::invalid:
        break;
    }
    return Role::skip;
  }

  bool open(Kind kind) {
    const Role role = value(kind, {});
    if (role == Role::invalid) return false;
    stack_.push_back(role);
    return true;
  }

  bool close() {
    const Role role = stack_.back();
    stack_.pop_back();
    if (role == Role::event && !event_has_date_) {
      return fail(event_where() + ": field 'date' is missing");
    }
    if (role == Role::division) {
      if (!found_events_) return fail(where_ + ": field 'events' is missing");
      if (events_ == 0) return fail(where_ + ": field 'events' has no events");
    }
    return true;
  }

  const std::string& division_;
  const std::string where_;
  std::vector<Role> stack_;  // the containers currently open
  std::string key_;          // the last key read (meaningful inside objects)
  std::string error_;
  std::string divisions_seen_;
  bool found_division_ = false;
  bool found_events_ = false;
  bool event_has_date_ = false;
  std::size_t events_ = 0;
  std::vector<sys_days> dates_;
};

// Easter Sunday of a Gregorian year: the anonymous Gregorian algorithm
// (Meeus/Jones/Butcher), exact for every Gregorian year.
sys_days easter_sunday(int y) {
  const int a = y % 19;
  const int b = y / 100;
  const int c = y % 100;
  const int d = b / 4;
  const int e = b % 4;
  const int f = (b + 8) / 25;
  const int g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4;
  const int k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = (h + l - 7 * m + 114) % 31 + 1;
  return sys_days{std::chrono::year{y} / std::chrono::month{static_cast<unsigned>(month)} /
                  std::chrono::day{static_cast<unsigned>(day)}};
}

enum class Rules { none, england_and_wales, scotland, northern_ireland };

Rules rules_for(std::string_view division) {
  if (division == "england-and-wales") return Rules::england_and_wales;
  if (division == "scotland") return Rules::scotland;
  if (division == "northern-ireland") return Rules::northern_ireland;
  return Rules::none;
}

}  // namespace

bool has_statutory_rules(std::string_view division) {
  return rules_for(division) != Rules::none;
}

std::vector<sys_days> statutory_bank_holidays(std::string_view division, int y) {
  using namespace std::chrono;
  const Rules rules = rules_for(division);
  std::vector<sys_days> out;
  if (rules == Rules::none) return out;
  const year yr{y};
  const sys_days easter = easter_sunday(y);
  // The moveable holidays first: always weekdays, never substituted.
  out.push_back(easter - days{2});                                // Good Friday
  if (rules != Rules::scotland) out.push_back(easter + days{1});  // Easter Monday
  out.push_back(sys_days{yr / May / Monday[1]});                  // early May
  out.push_back(sys_days{yr / May / Monday[last]});               // spring
  out.push_back(rules == Rules::scotland ? sys_days{yr / August / Monday[1]}
                                         : sys_days{yr / August / Monday[last]});  // summer
  // Then the fixed dates in date order. One on a weekend is replaced by the next
  // weekday that is not already a holiday: Christmas on a Saturday gives Monday
  // 27 and Boxing Day (Sunday) Tuesday 28; Christmas on a Sunday makes Boxing Day
  // Monday 26 and the substitute Tuesday 27. Scotland's 1 and 2 January pair
  // works the same way.
  std::vector<sys_days> fixed = {sys_days{yr / January / 1}};
  if (rules == Rules::scotland) fixed.push_back(sys_days{yr / January / 2});
  if (rules == Rules::northern_ireland) {
    fixed.push_back(sys_days{yr / March / 17});  // St Patrick's Day
    fixed.push_back(sys_days{yr / July / 12});   // Battle of the Boyne
  }
  if (rules == Rules::scotland) fixed.push_back(sys_days{yr / November / 30});  // St Andrew's
  fixed.push_back(sys_days{yr / December / 25});
  fixed.push_back(sys_days{yr / December / 26});
  for (sys_days when : fixed) {
    while (weekday_index(when) > 4 || std::find(out.begin(), out.end(), when) != out.end()) {
      when += days{1};
    }
    out.push_back(when);
  }
  std::sort(out.begin(), out.end());
  return out;
}

WorkingCalendar::WorkingCalendar(std::string_view bank_holidays_json, const std::string& division,
                                 const std::string& time_zone)
    : division_(division), zone_(nullptr) {
  try {
    zone_ = date::locate_zone(time_zone);
  } catch (const std::exception& e) {
    throw std::invalid_argument("unknown time zone '" + time_zone + "': " + e.what());
  }
  if (zone_ == nullptr) throw std::invalid_argument("unknown time zone '" + time_zone + "'");

  // First the limits every file read has (json::kFileLimits: size, depth,
  // UTF-8, NUL, duplicate keys; docs/decisions/0035): the handler below is
  // recursive, and only a depth this check has bounded keeps it off the end
  // of the stack.
  std::string problem;
  if (!json::check(bank_holidays_json, problem, json::kFileLimits)) {
    fail("file is not valid JSON: " + problem);
  }
  // A whole byte order mark, as json::check skips it.
  if (bank_holidays_json.starts_with("\xEF\xBB\xBF")) bank_holidays_json.remove_prefix(3);
  // In-situ parsing needs a mutable, NUL-terminated copy.
  std::string buffer(bank_holidays_json);
  rapidjson::InsituStringStream stream(buffer.data());
  rapidjson::Reader reader;
  HolidayFileHandler handler(division);
  reader.Parse<kParseFlags>(stream, handler);
  if (!handler.error().empty()) fail(handler.error());
  if (reader.HasParseError()) {
    fail("file is not valid JSON: " +
         std::string(rapidjson::GetParseError_En(reader.GetParseErrorCode())) + " at offset " +
         std::to_string(reader.GetErrorOffset()));
  }
  if (!handler.found_division()) {
    const std::string& known = handler.divisions_seen();
    fail("division '" + division +
         "' not found (the file has: " + (known.empty() ? std::string("none") : known) + ")");
  }
  holidays_.insert(handler.dates().begin(), handler.dates().end());
  for (const sys_days day : holidays_) {  // std::set iterates in order, without duplicates
    if (weekday_index(day) < 5) weekday_holidays_.push_back(day);
  }
  // Provisional holidays after the published ones, for a century: ~900 dates,
  // enough for any deadline in practice while keeping lookups a binary search.
  // They all follow the published ones, so the vector stays sorted.
  has_rules_ = has_statutory_rules(division);
  const sys_days until = published_until();
  const int last_year = static_cast<int>(std::chrono::year_month_day{until}.year());
  constexpr int kTableYears = 100;
  table_end_ = sys_days{std::chrono::year{last_year + kTableYears} / std::chrono::December / 31};
  if (has_rules_) {
    for (int y = last_year; y <= last_year + kTableYears; ++y) {
      for (const sys_days day : statutory_bank_holidays(division_, y)) {
        if (day > until && weekday_index(day) < 5) weekday_holidays_.push_back(day);
      }
    }
  }
}

bool WorkingCalendar::is_weekday_holiday(sys_days day) const {
  if (day <= table_end_ || !has_rules_) {
    return std::binary_search(weekday_holidays_.begin(), weekday_holidays_.end(), day);
  }
  const auto rules = statutory_bank_holidays(division_, year_of(day));
  return std::binary_search(rules.begin(), rules.end(), day);
}

std::int64_t WorkingCalendar::weekday_holidays_in(sys_days after, sys_days upto) const {
  if (upto <= after) return 0;
  std::int64_t count = std::upper_bound(weekday_holidays_.begin(), weekday_holidays_.end(), upto) -
                       std::upper_bound(weekday_holidays_.begin(), weekday_holidays_.end(), after);
  if (has_rules_ && upto > table_end_) {  // the part past the table, year by year
    const sys_days from = std::max(after, table_end_);
    for (int y = year_of(from + std::chrono::days{1}); y <= year_of(upto); ++y) {
      for (const sys_days day : statutory_bank_holidays(division_, y)) {
        count += day > from && day <= upto && weekday_index(day) < 5;
      }
    }
  }
  return count;
}

bool WorkingCalendar::is_bank_holiday(sys_days local_date) const {
  if (local_date <= published_until()) return holidays_.find(local_date) != holidays_.end();
  // Every statutory holiday is a weekday (weekend dates are substituted).
  return has_rules_ && weekday_index(local_date) < 5 && is_weekday_holiday(local_date);
}

bool WorkingCalendar::is_working_day(sys_days local_date) const {
  return weekday_index(local_date) < 5 && !is_weekday_holiday(local_date);
}

sys_days WorkingCalendar::local_date(Instant t) const {
  const auto local = zone_->to_local(t);
  return sys_days{std::chrono::floor<std::chrono::days>(local).time_since_epoch()};
}

sys_days WorkingCalendar::subtract_working_days(sys_days from, int n) const {
  while (n > 0) {
    from -= std::chrono::days(1);
    if (is_working_day(from)) --n;
  }
  return from;
}

sys_days WorkingCalendar::add_working_days(sys_days from, int n) const {
  if (n <= 0) return from;
  std::int64_t start = from.time_since_epoch().count();
  int wd = weekday_index(start);
  if (wd > 4) {  // a weekend start counts from the Friday before: same weekdays follow it
    start -= wd - 4;
    wd = 4;
  }
  sys_days counted = from;  // weekday holidays up to here are accounted for
  std::int64_t remaining = n;
  for (;;) {
    // `remaining` weekdays after `start` (a weekday), ignoring holidays.
    const std::int64_t weeks = remaining / 5;
    const int rem = static_cast<int>(remaining % 5);
    const std::int64_t target = start + 7 * weeks + rem + (wd + rem > 4 ? 2 : 0);
    // Every weekday holiday in (counted, target] displaces one working day past target.
    const sys_days target_day{std::chrono::days{target}};
    remaining = weekday_holidays_in(counted, target_day);
    if (remaining == 0) return target_day;
    start = target;
    wd = weekday_index(target);
    counted = target_day;
  }
}

sys_days WorkingCalendar::due_date(Instant start, Deadline d) const {
  const sys_days day = local_date(start);
  switch (d.unit) {
    case DeadlineUnit::working_days:
      return add_working_days(day, d.amount);
    case DeadlineUnit::days:
    case DeadlineUnit::weeks: {
      const std::int64_t days =
          d.unit == DeadlineUnit::weeks ? std::int64_t{7} * d.amount : d.amount;
      sys_days due = day + std::chrono::days{days};
      while (d.roll_to_working_day && !is_working_day(due)) due += std::chrono::days{1};
      return due;
    }
  }
  return day;
}

Instant WorkingCalendar::to_utc(sys_days local_date, LocalTimeOfDay time) const {
  const date::local_seconds local{local_date.time_since_epoch() +
                                  std::chrono::minutes{time.minutes}};
  // choose::earliest: the earlier of two instants for an ambiguous local time;
  // for a non-existent one date returns the transition instant whatever `choose`.
  return Instant{zone_->to_sys(local, date::choose::earliest)};
}

Instant WorkingCalendar::due_instant(Instant start, Deadline d, LocalTimeOfDay end_of_day) const {
  return to_utc(due_date(start, d), end_of_day);
}

sys_days WorkingCalendar::first_holiday() const {
  return *holidays_.begin();
}
sys_days WorkingCalendar::last_holiday() const {
  return *holidays_.rbegin();
}

}  // namespace crp
