// The `type` label of crp_records_out_total for one output record. Labels come
// only from values the service itself chose: a dead letter keeps its input's
// headers, whose ce_type is whatever a source sent, so it never becomes a
// label (unbounded cardinality, and it could carry personal data: issue 7).
#pragma once

#include <string>
#include <string_view>

#include "adapter/core/record.h"

namespace crp::kafka {

// "uk.gov.crp.challenge.stage_started" -> "challenge.stage_started"; a dead
// letter -> "dead_letter"; anything else (emails, case notes) -> "record".
inline std::string_view output_type_label(const Record& r, const std::string& dlq_topic) {
  if (r.topic == dlq_topic) return "dead_letter";
  const std::string* type = r.header("ce_type");
  constexpr std::string_view prefix = "uk.gov.crp.";
  if (!type || !type->starts_with(prefix)) return "record";
  return std::string_view(*type).substr(prefix.size());
}

}  // namespace crp::kafka
