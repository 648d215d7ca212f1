#include "adapter/runtime/report/html.h"

#include <cstdio>
#include <string>

#include "adapter/runtime/report/svg_chart.h"

namespace crp::report {
namespace {

constexpr const char* kStyle = R"css(
  @page { size: A4; margin: 16mm; }
  body { font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; margin: 24px auto; max-width: 780px; line-height: 1.4; }
  h1 { font-size: 26px; margin: 0 0 4px; }
  h2 { font-size: 18px; margin: 0 0 6px; border-top: 2px solid #1d70b8; padding-top: 10px; }
  p.period { font-size: 16px; color: #505a5f; margin: 0 0 16px; }
  p.note { font-size: 13px; color: #505a5f; margin: 0 0 8px; }
  .tiles { display: flex; gap: 12px; margin: 0 0 20px; }
  .tile { flex: 1; background: #f3f2f1; padding: 10px 12px; border-left: 5px solid #1d70b8; }
  .tile .figure { font-size: 28px; font-weight: bold; display: block; }
  .tile .caption { font-size: 13px; }
  section.chart { margin: 0 0 22px; page-break-inside: avoid; }
  svg.chart text { font-family: Arial, Helvetica, sans-serif; font-size: 13px; fill: #0b0c0c; }
  svg.chart text.value { font-weight: bold; }
  .bar-default { fill: #1d70b8; }
  .bar-met { fill: #00703c; }
  .bar-missed { fill: #d4351c; }
  .bar-withdrawn { fill: #6f777b; }
  .bar-stage4 { fill: #4c2c92; }
  p.empty { font-style: italic; color: #505a5f; }
  table { border-collapse: collapse; margin: 0 0 8px; font-size: 14px; }
  th, td { border: 1px solid #b1b4b6; padding: 3px 8px; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  .monitored { background: #f3f2f1; padding: 8px 12px; margin: 0 0 10px; border-left: 5px solid #4c2c92; }
  .monitored .figure { font-size: 24px; font-weight: bold; }
  blockquote { margin: 4px 0 0; font-size: 13px; color: #505a5f; }
  footer { font-size: 12px; color: #505a5f; border-top: 1px solid #b1b4b6; padding-top: 8px; }
)css";

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", v);
  return buffer;
}

// "2027-04-01" -> "1 April 2027", as a board paper writes dates.
std::string long_date(const std::string& iso_date) {
  static const char* const kMonths[] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};
  const int month = std::stoi(iso_date.substr(5, 2));
  return std::to_string(std::stoi(iso_date.substr(8, 2))) + " " + kMonths[month - 1] + " " +
         iso_date.substr(0, 4);
}

std::vector<Bar> bars(const std::vector<Count>& counts, const Suppression& s,
                      const std::string& css_class = "bar-default") {
  std::vector<std::int64_t> values;
  for (const Count& c : counts) values.push_back(c.value);
  const std::vector<std::string> shown = s.group(values);
  std::vector<Bar> out;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const Count& c = counts[i];
    out.push_back({c.key, c.label, c.value, css_class,
                   shown[i] == std::to_string(c.value) ? std::string() : shown[i]});
  }
  return out;
}

// A group of bars already built (own classes), suppressed together.
std::vector<Bar> suppressed(std::vector<Bar> group, const Suppression& s) {
  std::vector<std::int64_t> values;
  for (const Bar& b : group) values.push_back(b.value);
  const std::vector<std::string> shown = s.group(values);
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (shown[i] != std::to_string(group[i].value)) group[i].shown = shown[i];
  }
  return group;
}

std::string month_name(const std::string& yyyy_mm) {
  static const char* const kMonths[] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};
  return std::string(kMonths[std::stoi(yyyy_mm.substr(5, 2)) - 1]) + " " + yyyy_mm.substr(0, 4);
}

// The trend by month: each column is its own suppression group.
void months_table(std::ostream& out, const ReportData& d, const Suppression& s) {
  std::vector<std::int64_t> raised, closed, missed, open;
  for (const Month& m : d.months) {
    raised.push_back(m.raised);
    closed.push_back(m.closed);
    missed.push_back(m.deadlines_missed);
    open.push_back(m.open_at_end);
  }
  const auto r = s.group(raised), c = s.group(closed), x = s.group(missed);
  out << "<section class=\"chart\" id=\"chart-months\" data-chart=\"months\">\n<h2>Trend by "
         "month</h2>\n<p class=\"note\">Challenges raised and closed, deadlines missed, and "
         "challenges open at each month's end.</p>\n<table id=\"months\">\n<tr><th>Month</th>"
         "<th>Raised</th><th>Closed</th><th>Deadlines missed</th><th>Open at month end</th></tr>\n";
  for (std::size_t i = 0; i < d.months.size(); ++i) {
    out << "<tr data-month=\"" << escape_xml(d.months[i].month) << "\"><td>"
        << escape_xml(month_name(d.months[i].month)) << "</td><td class=\"raised\">"
        << escape_xml(r[i]) << "</td><td class=\"closed\">" << escape_xml(c[i])
        << "</td><td class=\"missed\">" << escape_xml(x[i]) << "</td><td class=\"open\">"
        << escape_xml(s.one(open[i])) << "</td></tr>\n";
  }
  out << "</table>\n</section>\n";
}

void monitored_section(std::ostream& out, const ReportData& d, const Suppression& s) {
  out << "<section class=\"chart\" id=\"chart-monitored\" data-chart=\"monitored\">\n<h2>What "
         "the protocols say is monitored</h2>\n";
  if (d.monitored.empty())
    out << "<p class=\"empty\">No protocol declares a monitored count.</p>\n";
  for (const MonitoredFigure& m : d.monitored) {
    out << "<div class=\"monitored\" id=\"monitored-" << escape_xml(m.protocol) << "-"
        << escape_xml(m.id) << "\" data-protocol=\"" << escape_xml(m.protocol) << "\" data-id=\""
        << escape_xml(m.id) << "\" data-value=\"" << escape_xml(s.one(m.value)) << "\"";
    if (m.kind == MonitoredCountKind::stage_started)
      out << " data-open=\"" << escape_xml(s.one(m.open_at_end)) << "\"";
    out << "><span class=\"figure\">" << escape_xml(s.one(m.value)) << "</span> "
        << "<span class=\"label\">" << escape_xml(m.label) << "</span> ("
        << escape_xml(m.protocol_title) << ")";
    if (m.kind == MonitoredCountKind::stage_started)
      out << "; <span class=\"open\">" << escape_xml(s.one(m.open_at_end))
          << "</span> still open at the period end";
    out << "<blockquote>&#8220;" << escape_xml(m.quote) << "&#8221;</blockquote></div>\n";
  }
  for (const std::string& f : d.frequencies)
    out << "<p class=\"note frequency\">Reporting frequency: " << escape_xml(f) << "</p>\n";
  out << "</section>\n";
}

void good_practice_table(std::ostream& out, const ReportData& d, const Suppression& s) {
  out << "<section class=\"chart\" id=\"chart-good-practice\" data-chart=\"good_practice\">\n"
         "<h2>Good-practice notes by team and month</h2>\n";
  if (d.good_practice.empty()) {
    out << "<p class=\"empty\">None in this period.</p>\n</section>\n";
    return;
  }
  std::vector<std::int64_t> notes, exemplary;
  for (const auto& g : d.good_practice) notes.push_back(g.notes), exemplary.push_back(g.exemplary);
  const auto n = s.group(notes), x = s.group(exemplary);
  out << "<table id=\"good-practice\">\n<tr><th>Team</th><th>Month</th><th>Notes</th>"
         "<th>Of which exemplary</th></tr>\n";
  for (std::size_t i = 0; i < d.good_practice.size(); ++i) {
    const auto& g = d.good_practice[i];
    out << "<tr data-team=\"" << escape_xml(g.team) << "\" data-month=\"" << escape_xml(g.month)
        << "\"><td>" << escape_xml(g.team.empty() ? "(no team recorded)" : g.team) << "</td><td>"
        << escape_xml(month_name(g.month)) << "</td><td class=\"notes\">" << escape_xml(n[i])
        << "</td><td class=\"exemplary\">" << escape_xml(x[i]) << "</td></tr>\n";
  }
  out << "</table>\n</section>\n";
}

// Only with watch findings in the period, so a report from before the
// watchdog reads as it did.
void watch_section(std::ostream& out, const ReportData& d, const Suppression& s) {
  const WatchFindings& w = d.watch;
  if (!w.any()) return;
  out << "<section class=\"chart\" id=\"chart-watch\" data-chart=\"watch\">\n"
         "<h2>Watch findings</h2>\n<p class=\"note\" id=\"watch-totals\">"
      << "<span class=\"found\">" << escape_xml(s.one(w.found))
      << "</span> drift findings suggested to chairs in the period (a report not shared, a core "
         "group not held in time, ...); <span class=\"dismissed\">"
      << escape_xml(s.one(w.dismissed)) << "</span> dismissed and <span class=\"taken-up\">"
      << escape_xml(s.one(w.taken_up))
      << "</span> taken up as challenges in the period. A finding is a suggestion, never a "
         "challenge by itself.</p>\n";
  if (!w.by_rule.empty())
    out << svg_bar_chart("Watch findings by rule", bars(w.by_rule, s)) << "\n";
  std::vector<std::int64_t> teams;
  for (const Count& c : w.by_team) teams.push_back(c.value);
  const auto t = s.group(teams);
  out << "<table id=\"watch-teams\">\n<tr><th>Team</th><th>Findings</th></tr>\n";
  for (std::size_t i = 0; i < w.by_team.size(); ++i) {
    out << "<tr data-team=\"" << escape_xml(w.by_team[i].key) << "\"><td>"
        << escape_xml(w.by_team[i].label) << "</td><td class=\"found\">" << escape_xml(t[i])
        << "</td></tr>\n";
  }
  out << "</table>\n";
  std::vector<std::int64_t> found, dismissed, taken_up;
  for (const WatchMonth& m : w.months)
    found.push_back(m.found), dismissed.push_back(m.dismissed), taken_up.push_back(m.taken_up);
  const auto f = s.group(found), x = s.group(dismissed), u = s.group(taken_up);
  out << "<table id=\"watch-months\">\n<tr><th>Month</th><th>Findings</th><th>Dismissed</th>"
         "<th>Taken up</th></tr>\n";
  for (std::size_t i = 0; i < w.months.size(); ++i) {
    out << "<tr data-month=\"" << escape_xml(w.months[i].month) << "\"><td>"
        << escape_xml(month_name(w.months[i].month)) << "</td><td class=\"found\">"
        << escape_xml(f[i]) << "</td><td class=\"dismissed\">" << escape_xml(x[i])
        << "</td><td class=\"taken-up\">" << escape_xml(u[i]) << "</td></tr>\n";
  }
  out << "</table>\n</section>\n";
}

void tile(std::ostream& out, const std::string& id, const std::string& figure,
          const std::string& caption) {
  out << "<div class=\"tile\" id=\"tile-" << id << "\"><span class=\"figure\">"
      << escape_xml(figure) << "</span><span class=\"caption\">" << escape_xml(caption)
      << "</span></div>\n";
}

void chart(std::ostream& out, const std::string& id, const std::string& title,
           const std::string& note, const std::vector<Bar>& data) {
  out << "<section class=\"chart\" id=\"chart-" << id << "\" data-chart=\"" << id << "\">\n<h2>"
      << escape_xml(title) << "</h2>\n";
  if (!note.empty()) out << "<p class=\"note\">" << escape_xml(note) << "</p>\n";
  if (data.empty()) {
    out << "<p class=\"empty\">None in this period.</p>\n";
  } else {
    out << svg_bar_chart(title, data) << "\n";
  }
  out << "</section>\n";
}

}  // namespace

const char* report_stylesheet() {
  return kStyle;
}

void write_html(std::ostream& out, const ReportData& d, const Suppression& s) {
  const std::string period = long_date(d.period.from) + " to " + long_date(d.period.to);
  out << "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<title>Challenge and resolution report, " << escape_xml(period) << "</title>\n"
      << "<style>" << kStyle << "</style>\n</head>\n<body>\n"
      << "<h1>Challenge and resolution: report to the safeguarding partnership</h1>\n";
  if (!d.authority.empty())
    out << "<p class=\"period\" id=\"authority\">" << escape_xml(d.authority) << "</p>\n";
  out << "<p class=\"period\" data-from=\"" << escape_xml(d.period.from) << "\" data-to=\""
      << escape_xml(d.period.to) << "\">" << escape_xml(period) << " (inclusive)</p>\n"
      << "<p class=\"note\" id=\"data-as-at\" data-as-at=\"" << escape_xml(d.data_as_at)
      << "\">Data as at " << escape_xml(d.data_as_at.empty() ? "(no facts)" : d.data_as_at)
      << " (the latest event recorded in the facts read).</p>\n";

  out << "<div class=\"tiles\">\n";
  tile(out, "total", s.one(d.total), "challenges closed in the period");
  tile(out, "open", s.one(d.open_at_end), "open at the period end");
  tile(out, "overdue", s.one(d.overdue_at_end), "of them overdue at the period end");
  tile(out, "missed", s.one(d.deadlines.missed()),
       "deadlines missed of " + s.one(d.deadlines.met() + d.deadlines.missed()) +
           " (closed challenges)");
  out << "</div>\n";

  chart(out, "open", "Open at the period end, by protocol",
        "Challenges that had started a stage by the period's last day and had not closed.",
        bars(d.open_by_protocol, s));
  chart(out, "overdue", "Overdue at the period end, by protocol",
        "Open challenges with a missed deadline not yet met: a response or decision until the "
        "challenge moves on or closes, a duty or overall limit until it closes.",
        bars(d.overdue_by_protocol, s, "bar-missed"));
  monitored_section(out, d, s);
  months_table(out, d, s);
  chart(out, "missed_agency", "Missed deadlines by agency",
        "Deadlines missed in the period (responses, duties, decisions, overall limits).",
        bars(d.missed_by_agency, s, "bar-missed"));
  chart(out, "missed_protocol", "Missed deadlines by protocol", "",
        bars(d.missed_by_protocol, s, "bar-missed"));

  std::vector<Bar> outcomes;
  for (const Count& c : d.by_outcome) {
    outcomes.push_back({c.key, c.label, c.value,
                        c.key == "resolved"    ? "bar-met"
                        : c.key == "withdrawn" ? "bar-withdrawn"
                                               : "bar-missed",
                        ""});
  }
  chart(out, "outcome", "Outcomes", "How each challenge closed in the period.",
        suppressed(outcomes, s));
  chart(out, "protocol", "Challenges closed by protocol", "", bars(d.by_protocol, s));
  chart(out, "stage", "Highest stage reached",
        "The furthest stage of its protocol each challenge reached before it closed.",
        bars(d.by_stage_reached, s));
  chart(out, "agency", "Challenges closed by agency challenged", "", bars(d.by_agency, s));
  chart(out, "theme", "Themes (categories of concern)",
        "A challenge with several categories counts once under each.", bars(d.by_category, s));
  chart(out, "resolution", "Time to resolution",
        "Working days from the day a challenge was raised to the day it closed. Median " +
            number(d.median_working_days) + " working days (" + number(d.median_calendar_days) +
            " calendar days); longest " + std::to_string(d.max_working_days) + " working days.",
        bars(d.resolution_bands, s));

  const auto& dl = d.deadlines;
  chart(
      out, "deadlines", "Deadlines met and missed",
      s.one(dl.met()) + " met, " + s.one(dl.missed()) +
          " missed by the challenges closed in the period: stage response deadlines, duties "
          "(e.g. forms and notifications) and overall process limits.",
      suppressed(
          {{"response_met", "Response deadlines met", dl.response.met, "bar-met", ""},
           {"response_missed", "Response deadlines missed", dl.response.missed, "bar-missed", ""},
           {"duty_met", "Duty deadlines met", dl.duty.met, "bar-met", ""},
           {"duty_missed", "Duty deadlines missed", dl.duty.missed, "bar-missed", ""},
           {"process_met", "Overall process limit met", dl.process.met, "bar-met", ""},
           {"process_missed", "Overall process limit missed", dl.process.missed, "bar-missed", ""}},
          s));
  good_practice_table(out, d, s);
  watch_section(out, d, s);

  out << "<footer>Produced by crp-adapter from the facts on the facts topic. "
      << s.one(d.immediate_risk)
      << " of the challenges closed were raised with immediate risk. Agencies and themes are "
         "codes; the report holds no names, no case references and no free text.";
  if (s.on()) {
    out << " Figures from 1 to " << s.below - 1 << " are shown as &lt;" << s.below
        << "; where a total would reveal one, another figure of the group is shown as x.";
  }
  if (d.unreadable > 0) {
    out << " <strong class=\"unreadable\">" << d.unreadable
        << " record(s) on the facts topic could not be read and are not counted.</strong>";
  }
  out << "</footer>\n"
      << "</body>\n</html>\n";
}

}  // namespace crp::report
