// The report as CSV (RFC 4180, CRLF line ends): report.csv has one row per
// closed challenge; summary.csv the figures of every chart.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/runtime/report/aggregate.h"
#include "adapter/runtime/report/suppress.h"

namespace crp::report {

// One field: quoted when it holds a comma, quote, CR or LF (quotes doubled).
// Text that a spreadsheet would run as a formula (= + - @, tab, CR first) is
// prefixed with ' so opening the file cannot execute it.
std::string csv_field(std::string_view text);
std::string csv_row(const std::vector<std::string>& fields);

// One row per closed challenge (opt-in, `report --records`): no case_id;
// challenge ids are the case system's challenge references, for the team that
// checks the figures, not for the board pack.
void write_facts_csv(std::ostream& out, const std::vector<ChallengeFact>& facts);
// Every figure of the page, suppressed as on the page.
void write_summary_csv(std::ostream& out, const ReportData& data, const Suppression& s = {});

}  // namespace crp::report
