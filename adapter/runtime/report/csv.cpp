#include "adapter/runtime/report/csv.h"

#include <cstdio>

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
                  "case_id",
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
                    f.case_id,
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

void write_summary_csv(std::ostream& out, const ReportData& d) {
  out << csv_row({"measure", "key", "label", "value"});
  auto row = [&](const std::string& measure, const std::string& key, const std::string& label,
                 const std::string& v) {
    out << csv_row({measure, key, label, v});
  };
  auto counts = [&](const std::string& measure, const std::vector<Count>& list) {
    for (const Count& c : list) row(measure, c.key, c.label, std::to_string(c.value));
  };
  row("period", "from", "From", d.period.from);
  row("period", "to", "To", d.period.to);
  row("total", "closed", "Challenges closed", std::to_string(d.total));
  row("total", "immediate_risk", "Raised with immediate risk", std::to_string(d.immediate_risk));
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
  row("deadlines", "response_met", "Response deadlines met",
      std::to_string(d.deadlines.response.met));
  row("deadlines", "response_missed", "Response deadlines missed",
      std::to_string(d.deadlines.response.missed));
  row("deadlines", "duty_met", "Duty deadlines met", std::to_string(d.deadlines.duty.met));
  row("deadlines", "duty_missed", "Duty deadlines missed", std::to_string(d.deadlines.duty.missed));
  row("deadlines", "process_met", "Overall limit met", std::to_string(d.deadlines.process.met));
  row("deadlines", "process_missed", "Overall limit missed",
      std::to_string(d.deadlines.process.missed));
  row("deadlines", "met", "All deadlines met", std::to_string(d.deadlines.met()));
  row("deadlines", "missed", "All deadlines missed", std::to_string(d.deadlines.missed()));
  row("stage4", "total", "Challenges that reached Stage 4", std::to_string(d.stage4_total));
  counts("stage4", d.stage4_by_protocol);
}

}  // namespace crp::report
