// The service config's `report` section (schemas/service-config.schema.json):
// the authority named on the report and the small-number suppression.
#pragma once

#include <string>

namespace crp::report {

struct ReportSettings {
  std::string authority;
  int suppress_below = 5;
};

// Reads `report` from a service config file that load_service_config has
// already validated; defaults when the section is absent.
ReportSettings load_report_settings(const std::string& config_file);

}  // namespace crp::report
