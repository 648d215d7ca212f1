// What the LCS and Mosaic connectors share for case activity: which of the
// case system's own labels (form, note, step and section types, conference
// outcomes) mean which activity, as data in the input's config entry with
// documented defaults (docs/connectors.md), never in the mapping code; and
// which protocol an input's activity records belong to.
#pragma once

#include <rapidjson/document.h>

#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "adapter/engine/protocol_set.h"

namespace crp::connectors::activity {

// A folded label -> meaning table: the defaults, then the input's own entries
// under `key` (which add to or replace them). Throws json::ConfigError for a
// meaning not in `meanings`.
class LabelTable {
 public:
  LabelTable(const rapidjson::Value& options, const char* key,
             std::initializer_list<std::pair<const char*, const char*>> defaults,
             std::initializer_list<const char*> meanings, const std::string& config_file,
             const std::string& pointer);

  // The meaning of `label` (ignoring case, spaces and punctuation); empty when none.
  const std::string& find(const std::string& label) const;

 private:
  std::map<std::string, std::string> by_folded_;
};

// The protocol an input's activity records belong to: its `activity_protocol`,
// else the one protocol it serves (its `protocols`, else the loaded protocols
// of `case_system`). Empty when it serves several and names none: such records
// are dead-lettered with that reason. Throws json::ConfigError for an
// activity_protocol that is not loaded.
std::string activity_protocol(const ProtocolSet& protocols, const rapidjson::Value& options,
                              const std::string& case_system, const std::string& config_file,
                              const std::string& pointer);

// The meanings of a conference's decision (canonical plan_outcome values).
inline constexpr std::initializer_list<const char*> kPlanOutcomes = {"cp_plan", "no_plan",
                                                                     "step_down_cin", "plan_ended"};

}  // namespace crp::connectors::activity
