// Reads the facts topic from its beginning to its current end, read_committed:
// what the report counts is exactly what the service committed.
#pragma once

#include <chrono>

#include "adapter/runtime/report/fact_source.h"
#include "adapter/runtime/service_config.h"

namespace crp::report {

// Throws std::runtime_error when the topic is missing or its end is not
// reached within `timeout` (an open transaction holds it back that long).
FactSet read_facts_topic(const ServiceConfig& config, std::chrono::seconds timeout);

}  // namespace crp::report
