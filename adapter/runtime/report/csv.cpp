#include "adapter/runtime/report/csv.h"

#include <cstdio>
#include <tuple>

namespace crp::report {
namespace {

std::string join(const std::vector<std::string>& values, const char* separator) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : separator) + v;
  return out;
}

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", v);
  return buffer;
}

}  // namespace

std::string csv_field(std::string_view text) {
  std::string value;
  if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' ||
                        text[0] == '\t' || text[0] == '\r')) {
    value = "'";
  }
  value += text;
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string csv_row(const std::vector<std::string>& fields) {
  std::string row;
  for (std::size_t i = 0; i < fields.size(); ++i) row += (i ? "," : "") + csv_field(fields[i]);
  return row + "\r\n";
}

void write_facts_csv(std::ostream& out, const std::vector<ChallengeFact>& facts) {
  out << csv_row({"challenge_id",
                  "protocol",
                  "track",
                  "agency",
                  "categories",
                  "immediate_risk",
                  "source_system",
                  "opened_at",
                  "closed_at",
                  "opened_on",
                  "closed_on",
                  "outcome",
                  "starting_stage",
                  "highest_stage",
                  "highest_stage_label",
                  "stages_visited",
                  "escalations",
                  "deadlines_met",
                  "deadlines_missed",
                  "response_deadlines_met",
                  "response_deadlines_missed",
                  "duty_deadlines_met",
                  "duty_deadlines_missed",
                  "process_limit_met",
                  "process_limit_missed",
                  "working_days_to_close",
                  "calendar_days_to_close"});
  for (const ChallengeFact& f : facts) {
    using std::to_string;
    out << csv_row({f.challenge_id,
                    f.protocol,
                    f.track,
                    f.agency,
                    join(f.categories, ";"),
                    f.immediate_risk ? "true" : "false",
                    f.source_system,
                    format_iso8601(f.opened_at),
                    format_iso8601(f.closed_at),
                    f.opened_on,
                    f.closed_on,
                    f.outcome,
                    f.starting_stage,
                    f.highest_stage,
                    f.highest_stage_label,
                    join(f.stages_visited, ">"),
                    to_string(f.escalations),
                    to_string(f.deadlines_met()),
                    to_string(f.deadlines_missed()),
                    to_string(f.response.met),
                    to_string(f.response.missed),
                    to_string(f.duty.met),
                    to_string(f.duty.missed),
                    to_string(f.process.met),
                    to_string(f.process.missed),
                    to_string(f.working_days),
                    to_string(f.calendar_days)});
  }
}

void write_summary_csv(std::ostream& out, const ReportData& d, const Suppression& s) {
  out << csv_row({"measure", "key", "label", "value"});
  auto row = [&](const std::string& measure, const std::string& key, const std::string& label,
                 const std::string& v) {
    out << csv_row({measure, key, label, v});
  };
  auto counts = [&](const std::string& measure, const std::vector<Count>& list) {
    std::vector<std::int64_t> values;
    for (const Count& c : list) values.push_back(c.value);
    const auto shown = s.group(values);
    for (std::size_t i = 0; i < list.size(); ++i)
      row(measure, list[i].key, list[i].label, shown[i]);
  };
  auto group = [&](const std::string& measure,
                   const std::vector<std::tuple<std::string, std::string, std::int64_t>>& items) {
    std::vector<std::int64_t> values;
    for (const auto& i : items) values.push_back(std::get<2>(i));
    const auto shown = s.group(values);
    for (std::size_t i = 0; i < items.size(); ++i)
      row(measure, std::get<0>(items[i]), std::get<1>(items[i]), shown[i]);
  };
  row("report", "authority", "Authority", d.authority);
  row("report", "data_as_at", "Data as at", d.data_as_at);
  row("report", "suppress_below", "Figures below this are suppressed", std::to_string(s.below));
  row("period", "from", "From", d.period.from);
  row("period", "to", "To", d.period.to);
  row("total", "closed", "Challenges closed", s.one(d.total));
  row("total", "immediate_risk", "Raised with immediate risk", s.one(d.immediate_risk));
  row("as_at_end", "open", "Open at the period end", s.one(d.open_at_end));
  row("as_at_end", "overdue", "Overdue at the period end", s.one(d.overdue_at_end));
  counts("open_by_protocol", d.open_by_protocol);
  counts("overdue_by_protocol", d.overdue_by_protocol);
  for (const MonitoredFigure& m : d.monitored) {
    row("monitored", m.protocol + "/" + m.id, m.label, s.one(m.value));
    if (m.kind == MonitoredCountKind::stage_started)
      row("monitored_open", m.protocol + "/" + m.id, m.label + ", open at the period end",
          s.one(m.open_at_end));
  }
  std::vector<std::tuple<std::string, std::string, std::int64_t>> raised, closed, missed;
  for (const Month& m : d.months) {
    raised.emplace_back(m.month, "Raised", m.raised);
    closed.emplace_back(m.month, "Closed", m.closed);
    missed.emplace_back(m.month, "Deadlines missed", m.deadlines_missed);
    row("month_open_at_end", m.month, "Open at month end", s.one(m.open_at_end));
  }
  group("month_raised", raised);
  group("month_closed", closed);
  group("month_missed", missed);
  counts("missed_by_agency", d.missed_by_agency);
  counts("missed_by_protocol", d.missed_by_protocol);
  counts("protocol", d.by_protocol);
  counts("stage_reached", d.by_stage_reached);
  counts("agency", d.by_agency);
  counts("theme", d.by_category);
  counts("outcome", d.by_outcome);
  counts("resolution_time", d.resolution_bands);
  row("resolution_time", "median_working_days", "Median working days",
      number(d.median_working_days));
  row("resolution_time", "median_calendar_days", "Median calendar days",
      number(d.median_calendar_days));
  row("resolution_time", "max_working_days", "Longest, working days",
      std::to_string(d.max_working_days));
  const auto& dl = d.deadlines;
  group("deadlines", {{"response_met", "Response deadlines met", dl.response.met},
                      {"response_missed", "Response deadlines missed", dl.response.missed},
                      {"duty_met", "Duty deadlines met", dl.duty.met},
                      {"duty_missed", "Duty deadlines missed", dl.duty.missed},
                      {"process_met", "Overall limit met", dl.process.met},
                      {"process_missed", "Overall limit missed", dl.process.missed}});
  row("deadlines", "met", "All deadlines met", s.one(dl.met()));
  row("deadlines", "missed", "All deadlines missed", s.one(dl.missed()));
  std::vector<std::tuple<std::string, std::string, std::int64_t>> notes;
  for (const auto& g : d.good_practice)
    notes.emplace_back(g.team + "/" + g.month, "Good-practice notes", g.notes);
  group("good_practice", notes);
  // Only with watch findings in the period, so a report from before the
  // watchdog reads as it did.
  const WatchFindings& w = d.watch;
  if (!w.any()) return;
  row("watch", "found", "Watch findings", s.one(w.found));
  row("watch", "dismissed", "Watch findings dismissed", s.one(w.dismissed));
  row("watch", "taken_up", "Watch findings taken up as challenges", s.one(w.taken_up));
  counts("watch_by_rule", w.by_rule);
  counts("watch_by_team", w.by_team);
  std::vector<std::tuple<std::string, std::string, std::int64_t>> found, dismissed, taken_up;
  for (const WatchMonth& m : w.months) {
    found.emplace_back(m.month, "Watch findings", m.found);
    dismissed.emplace_back(m.month, "Watch findings dismissed", m.dismissed);
    taken_up.emplace_back(m.month, "Watch findings taken up", m.taken_up);
  }
  group("watch_month_found", found);
  group("watch_month_dismissed", dismissed);
  group("watch_month_taken_up", taken_up);
}

}  // namespace crp::report
