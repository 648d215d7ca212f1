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

std::vector<Bar> bars(const std::vector<Count>& counts,
                      const std::string& css_class = "bar-default") {
  std::vector<Bar> out;
  for (const Count& c : counts) out.push_back({c.key, c.label, c.value, css_class});
  return out;
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

void write_html(std::ostream& out, const ReportData& d) {
  const std::string period = long_date(d.period.from) + " to " + long_date(d.period.to);
  out << "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<title>Challenge and resolution report, " << escape_xml(period) << "</title>\n"
      << "<style>" << kStyle << "</style>\n</head>\n<body>\n"
      << "<h1>Challenge and resolution: report to the safeguarding partnership</h1>\n"
      << "<p class=\"period\" data-from=\"" << escape_xml(d.period.from) << "\" data-to=\""
      << escape_xml(d.period.to) << "\">Challenges closed from " << escape_xml(period)
      << " (inclusive)</p>\n";

  out << "<div class=\"tiles\">\n";
  tile(out, "total", std::to_string(d.total), "challenges closed");
  tile(out, "stage4", std::to_string(d.stage4_total), "reached Stage 4");
  tile(out, "median", number(d.median_working_days), "median working days to resolution");
  tile(out, "missed", std::to_string(d.deadlines.missed()),
       "deadlines missed of " + std::to_string(d.deadlines.met() + d.deadlines.missed()));
  out << "</div>\n";

  std::vector<Bar> outcomes;
  for (const Count& c : d.by_outcome) {
    outcomes.push_back({c.key, c.label, c.value,
                        c.key == "resolved"    ? "bar-met"
                        : c.key == "withdrawn" ? "bar-withdrawn"
                                               : "bar-missed"});
  }
  chart(out, "outcome", "Outcomes", "How each challenge closed.", outcomes);
  chart(out, "protocol", "Challenges by protocol", "", bars(d.by_protocol));
  chart(out, "stage", "Highest stage reached",
        "The furthest stage of its protocol each challenge reached before it closed.",
        bars(d.by_stage_reached));

  std::vector<Bar> stage4 = bars(d.stage4_by_protocol, "bar-stage4");
  chart(out, "stage4", "Stage 4 challenges (Rotherham performance framework)",
        std::to_string(d.stage4_total) +
            " challenge(s) reached Stage 4 (Rotherham: the Safeguarding Children Partnership "
            "Practice Review Group).",
        stage4);

  chart(out, "agency", "Challenges by agency challenged", "", bars(d.by_agency));
  chart(out, "theme", "Themes (categories of concern)",
        "A challenge with several categories counts once under each.", bars(d.by_category));

  chart(out, "resolution", "Time to resolution",
        "Working days from the day a challenge was raised to the day it closed. Median " +
            number(d.median_working_days) + " working days (" + number(d.median_calendar_days) +
            " calendar days); longest " + std::to_string(d.max_working_days) + " working days.",
        bars(d.resolution_bands));

  const auto& dl = d.deadlines;
  chart(out, "deadlines", "Deadlines met and missed",
        std::to_string(dl.met()) + " met, " + std::to_string(dl.missed()) +
            " missed: stage response deadlines, duties (e.g. forms and notifications) and overall "
            "process limits.",
        {{"response_met", "Response deadlines met", dl.response.met, "bar-met"},
         {"response_missed", "Response deadlines missed", dl.response.missed, "bar-missed"},
         {"duty_met", "Duty deadlines met", dl.duty.met, "bar-met"},
         {"duty_missed", "Duty deadlines missed", dl.duty.missed, "bar-missed"},
         {"process_met", "Overall process limit met", dl.process.met, "bar-met"},
         {"process_missed", "Overall process limit missed", dl.process.missed, "bar-missed"}});

  out << "<footer>Produced by crp-adapter from the closed-challenge facts on the facts topic. "
      << d.immediate_risk << " of the " << d.total
      << " challenges were raised with immediate risk. Figures hold no names and no free text.";
  if (d.unreadable > 0) {
    out << " <strong class=\"unreadable\">" << d.unreadable
        << " record(s) on the facts topic could not be read and are not counted.</strong>";
  }
  out << "</footer>\n"
      << "</body>\n</html>\n";
}

}  // namespace crp::report
