#include "adapter/runtime/whatif/render.h"

#include <algorithm>
#include <cstdio>

#include "adapter/runtime/report/aggregate.h"
#include "adapter/runtime/report/csv.h"
#include "adapter/runtime/report/html.h"
#include "adapter/runtime/report/svg_chart.h"

namespace crp::whatif {
namespace {

constexpr const char* kAllStages = "(all stages)";

std::string stage_code(const Row& r) {
  return r.total() ? kAllStages : r.stage;
}

struct Metric {
  const char* id;     // CSV column suffix and HTML class
  const char* title;  // the table's heading
};
constexpr Metric kMetrics[] = {{"escalations", "escalations"},
                               {"overdue", "overdue deadlines"},
                               {"closed", "closed at stage"},
                               {"median_working_days", "median working days"}};

// The three cells (baseline, variant, change) of metric `m` in row `r`.
std::vector<std::string> cells(const Row& r, std::size_t m) {
  const Side& b = r.baseline;
  const Side& v = r.variant;
  switch (m) {
    case 0:
      return {std::to_string(b.escalations), std::to_string(v.escalations),
              format_change(b.escalations, v.escalations)};
    case 1:
      return {std::to_string(b.overdue), std::to_string(v.overdue),
              format_change(b.overdue, v.overdue)};
    case 2:
      return {std::to_string(b.closed), std::to_string(v.closed),
              format_change(b.closed, v.closed)};
    default:
      return {format_median(b.median_working_days), format_median(v.median_working_days),
              format_change(b.median_working_days, v.median_working_days)};
  }
}

std::string pad_left(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}
std::string pad_right(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

std::int64_t sum(const std::vector<Row>& rows, std::int64_t Side::*field, bool variant) {
  std::int64_t n = 0;
  for (const Row& r : rows) {
    if (r.total()) n += (variant ? r.variant : r.baseline).*field;
  }
  return n;
}

}  // namespace

std::string format_median(const std::optional<double>& m) {
  if (!m) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", *m);
  std::string s = buffer;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s;
}

std::string format_change(std::int64_t baseline, std::int64_t variant) {
  const std::int64_t d = variant - baseline;
  return d > 0 ? "+" + std::to_string(d) : std::to_string(d);
}

std::string format_change(const std::optional<double>& baseline,
                          const std::optional<double>& variant) {
  if (!baseline || !variant) return "-";
  const double d = *variant - *baseline;
  if (d == 0) return "0";
  return (d > 0 ? "+" : "-") + format_median(d > 0 ? d : -d);
}

void write_table(std::ostream& out, const Comparison& c) {
  out << "what-if: baseline " << c.baseline << ", variant " << c.variant << "\n"
      << c.records << " records replayed"
      << (c.until.empty() ? std::string(" (timers up to the last record)") : " to " + c.until)
      << "; dead letters: baseline " << c.baseline_dead_letters << ", variant "
      << c.variant_dead_letters << "\n";
  if (c.rows.empty()) {
    out << "no challenge reached a stage under either configuration\n";
    return;
  }
  std::size_t protocol_width = 8, stage_width = 5;
  for (const Row& r : c.rows) {
    protocol_width = std::max(protocol_width, r.protocol.size());
    stage_width = std::max(stage_width, stage_code(r).size());
  }
  constexpr std::size_t kCell = 7;               // "variant"
  constexpr std::size_t kGroup = 3 * kCell + 2;  // three cells, a space between each
  std::string titles = pad_right("", protocol_width + stage_width + 2);
  for (const Metric& m : kMetrics) titles += "  " + pad_right(m.title, kGroup);
  titles.erase(titles.find_last_not_of(' ') + 1);
  out << titles << "\n"
      << pad_right("protocol", protocol_width) << "  " << pad_right("stage", stage_width);
  for (std::size_t m = 0; m < std::size(kMetrics); ++m) {
    out << "  " << pad_left("base", kCell) << " " << pad_left("variant", kCell) << " "
        << pad_left("change", kCell);
  }
  out << "\n";
  for (const Row& r : c.rows) {
    out << pad_right(r.protocol, protocol_width) << "  " << pad_right(stage_code(r), stage_width);
    for (std::size_t m = 0; m < std::size(kMetrics); ++m) {
      const auto three = cells(r, m);
      out << "  " << pad_left(three[0], kCell) << " " << pad_left(three[1], kCell) << " "
          << pad_left(three[2], kCell);
    }
    out << (r.differs() ? "  *" : "") << "\n";
  }
  out << "* the variant differs on this row\n";
}

void write_csv(std::ostream& out, const Comparison& c) {
  std::vector<std::string> header{"protocol", "stage"};
  for (const Metric& m : kMetrics) {
    header.push_back(std::string("baseline_") + m.id);
    header.push_back(std::string("variant_") + m.id);
  }
  out << report::csv_row(header);
  for (const Row& r : c.rows) {
    std::vector<std::string> fields{r.protocol, stage_code(r)};
    for (std::size_t m = 0; m < std::size(kMetrics); ++m) {
      auto three = cells(r, m);
      for (std::size_t i = 0; i < 2; ++i) fields.push_back(three[i] == "-" ? "" : three[i]);
    }
    out << report::csv_row(fields);
  }
}

void write_html(std::ostream& out, const Comparison& c) {
  using report::escape_xml;
  out << "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<title>What-if replay: " << escape_xml(c.baseline) << " and " << escape_xml(c.variant)
      << "</title>\n<style>"
      << report::report_stylesheet()
      // The board report's page, wider: twelve figures a row (printed landscape).
      << "  @page { size: A4 landscape; }\n  body { max-width: 1100px; }\n"
      << "  td.stage { text-align: left; white-space: nowrap; }\n"
      << "  tr.differs td { background: #fff7bf; }\n  tr.total td { font-weight: bold; }\n"
      << "</style>\n</head>\n<body>\n<h1>What-if replay: the same history under two "
         "configurations</h1>\n"
      << "<p class=\"period\">Baseline <code id=\"baseline\">" << escape_xml(c.baseline)
      << "</code>, variant <code id=\"variant\">" << escape_xml(c.variant) << "</code></p>\n"
      << "<p class=\"note\" id=\"replayed\" data-records=\"" << c.records << "\" data-until=\""
      << escape_xml(c.until) << "\">" << c.records << " records replayed"
      << escape_xml(c.until.empty() ? std::string(", timers up to the last record")
                                    : " to " + c.until)
      << "; dead letters: baseline <span id=\"baseline-dead-letters\">" << c.baseline_dead_letters
      << "</span>, variant <span id=\"variant-dead-letters\">" << c.variant_dead_letters
      << "</span>.</p>\n<div class=\"tiles\">\n";
  const std::pair<const char*, std::int64_t Side::*> tiles[] = {
      {"escalations", &Side::escalations}, {"overdue deadlines", &Side::overdue}};
  for (const auto& [caption, field] : tiles) {
    out << "<div class=\"tile\"><span class=\"figure\">" << sum(c.rows, field, false) << " &#8594; "
        << sum(c.rows, field, true) << "</span><span class=\"caption\">" << caption
        << ", baseline &#8594; variant</span></div>\n";
  }
  out << "</div>\n<section class=\"chart\" id=\"whatif\">\n<h2>By protocol and stage</h2>\n"
         "<p class=\"note\">Escalations: challenges that moved on from the stage. Overdue "
         "deadlines: responses, duties, decisions and overall limits missed in the stage. "
         "Closed at stage: challenges whose highest stage it was, and the median working days "
         "from raising to closing of those. Highlighted rows differ.</p>\n"
         "<table id=\"whatif-table\">\n<tr><th rowspan=\"2\">Protocol</th>"
         "<th rowspan=\"2\">Stage</th>";
  for (const Metric& m : kMetrics) out << "<th colspan=\"3\">" << escape_xml(m.title) << "</th>";
  out << "</tr>\n<tr>";
  for (std::size_t m = 0; m < std::size(kMetrics); ++m)
    out << "<th>baseline</th><th>variant</th><th>change</th>";
  out << "</tr>\n";
  for (const Row& r : c.rows) {
    out << "<tr data-protocol=\"" << escape_xml(r.protocol) << "\" data-stage=\""
        << escape_xml(stage_code(r)) << "\"";
    std::string classes = std::string(r.total() ? "total" : "") +
                          (r.differs() ? (r.total() ? " differs" : "differs") : "");
    if (!classes.empty()) out << " class=\"" << classes << "\"";
    out << "><td>" << escape_xml(r.protocol) << "</td><td class=\"stage\">"
        << escape_xml(r.total() ? std::string(kAllStages) : report::stage_label(r.stage))
        << "</td>";
    for (std::size_t m = 0; m < std::size(kMetrics); ++m) {
      const auto three = cells(r, m);
      const char* sides[] = {"baseline", "variant", "change"};
      for (std::size_t i = 0; i < 3; ++i) {
        out << "<td class=\"" << sides[i] << "-" << kMetrics[m].id << "\">" << escape_xml(three[i])
            << "</td>";
      }
    }
    out << "</tr>\n";
  }
  out << "</table>\n</section>\n<footer>Produced by crp-adapter whatif: both configurations "
         "ran the service's engine over the same records with a virtual clock. Protocols and "
         "stages are codes; the page holds counts only, no names, no case references and no "
         "free text.</footer>\n</body>\n</html>\n";
}

}  // namespace crp::whatif
