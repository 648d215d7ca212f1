// The board report as one self-contained HTML page: inline CSS and SVG, no
// script, nothing fetched. Deterministic: the same facts give the same bytes.
// Every figure passes through the small-number suppression; no protocol's
// wording is in the code (monitored counts come from the protocol files).
#pragma once

#include <ostream>

#include "adapter/runtime/report/aggregate.h"
#include "adapter/runtime/report/suppress.h"

namespace crp::report {

void write_html(std::ostream& out, const ReportData& data, const Suppression& suppression = {});

// The page's stylesheet (inline CSS), for other pages that should read like the
// board report (`crp-adapter whatif --html`).
const char* report_stylesheet();

}  // namespace crp::report
