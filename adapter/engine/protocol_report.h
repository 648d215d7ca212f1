// What a protocol says the safeguarding partnership monitors or is reported
// (its file's `report` section): `crp-adapter report` shows each monitored
// count under the protocol's own label and quote, so no protocol's wording
// lives in C++.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <vector>

namespace crp {

struct Stage;

enum class MonitoredCountKind { stage_started, challenges_raised, good_practice_noted };

struct MonitoredCount {
  std::string id;     // stable key in summary.csv and the page, e.g. "stage4_challenges"
  std::string label;  // the document's words, e.g. "Stage 4 Challenges"
  MonitoredCountKind count = MonitoredCountKind::stage_started;
  std::string stage;  // for stage_started
  std::string quote;
};

struct ProtocolReport {
  std::string frequency;  // "", monthly, quarterly, half_yearly, yearly
  std::string frequency_quote;
  std::vector<MonitoredCount> monitored;
};

// Reads the `report` section of a protocol file already validated against
// schemas/protocol.schema.json; throws json::ConfigError naming the pointer
// when a monitored count names a stage the protocol does not have.
ProtocolReport load_protocol_report(const rapidjson::Value& doc, const std::vector<Stage>& stages,
                                    const std::string& file);

}  // namespace crp
