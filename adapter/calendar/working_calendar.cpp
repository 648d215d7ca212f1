#include "adapter/calendar/working_calendar.h"

#include <date/tz.h>
#include <rapidjson/document.h>

#include <stdexcept>

namespace crp {

WorkingCalendar::WorkingCalendar(std::string_view text, const std::string& division, const std::string& time_zone)
    : division_(division) {
  try {
    zone_ = date::locate_zone(time_zone);
  } catch (const std::exception&) {
    throw std::invalid_argument("unknown time zone '" + time_zone + "'");
  }
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) throw std::invalid_argument("bank holidays file is not a JSON object");
  auto d = doc.FindMember(division.c_str());
  if (d == doc.MemberEnd() || !d->value.IsObject()) {
    throw std::invalid_argument("bank holidays file has no division '" + division + "'");
  }
  auto events = d->value.FindMember("events");
  if (events == d->value.MemberEnd() || !events->value.IsArray()) {
    throw std::invalid_argument("division '" + division + "' has no events array");
  }
  for (const auto& e : events->value.GetArray()) {
    if (!e.IsObject() || !e.HasMember("date") || !e["date"].IsString()) {
      throw std::invalid_argument("division '" + division + "': an event has no date");
    }
    auto t = parse_iso8601(std::string(e["date"].GetString()) + "T00:00:00Z");
    if (!t) throw std::invalid_argument("division '" + division + "': invalid date '" + e["date"].GetString() + "'");
    holidays_.insert(std::chrono::floor<std::chrono::days>(*t));
  }
}

bool WorkingCalendar::is_bank_holiday(std::chrono::sys_days day) const { return holidays_.count(day) > 0; }

bool WorkingCalendar::is_working_day(std::chrono::sys_days day) const {
  date::weekday wd{day};
  return wd != date::Saturday && wd != date::Sunday && !is_bank_holiday(day);
}

std::chrono::sys_days WorkingCalendar::local_date(Instant t) const {
  auto local = zone_->to_local(std::chrono::time_point_cast<std::chrono::seconds>(t));
  return std::chrono::sys_days(date::floor<date::days>(local).time_since_epoch());
}

std::chrono::sys_days WorkingCalendar::add_working_days(std::chrono::sys_days from, int n) const {
  std::chrono::sys_days day = from;
  while (n > 0) {
    day += date::days(1);
    if (is_working_day(day)) --n;
  }
  return day;
}

std::chrono::sys_days WorkingCalendar::due_date(Instant start, Deadline d) const {
  auto day = local_date(start);
  switch (d.unit) {
    case DeadlineUnit::working_days: return add_working_days(day, d.amount);
    case DeadlineUnit::days: return day + date::days(d.amount);
    case DeadlineUnit::weeks: return day + date::days(7 * d.amount);
  }
  return day;
}

Instant WorkingCalendar::to_utc(std::chrono::sys_days day, LocalTimeOfDay time) const {
  date::local_seconds local{day.time_since_epoch() + std::chrono::minutes(time.minutes)};
  auto info = zone_->get_info(local);
  std::chrono::sys_seconds t;
  if (info.result == date::local_info::nonexistent) {
    t = info.first.end;  // the clocks went forward: the first instant that exists
  } else {
    t = std::chrono::sys_seconds{local.time_since_epoch() - info.first.offset};
  }
  return Instant(t);
}

Instant WorkingCalendar::due_instant(Instant start, Deadline d, LocalTimeOfDay end_of_day) const {
  return to_utc(due_date(start, d), end_of_day);
}

std::chrono::sys_days WorkingCalendar::first_holiday() const { return *holidays_.begin(); }
std::chrono::sys_days WorkingCalendar::last_holiday() const { return *holidays_.rbegin(); }

}  // namespace crp
