// The board report as one self-contained HTML page: inline CSS and SVG, no
// script, nothing fetched. Deterministic: the same facts give the same bytes.
#pragma once

#include <ostream>

#include "adapter/runtime/report/aggregate.h"

namespace crp::report {

void write_html(std::ostream& out, const ReportData& data);

}  // namespace crp::report
