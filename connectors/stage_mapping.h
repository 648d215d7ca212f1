// What the LCS and Mosaic connectors share: case systems record a challenge's
// stage by its label ("CP Challenge Stage 2", "Formal Resolution Stage 1"), so
// labels are looked up in the protocols (config/protocols/*.json), never in
// C++; and a record naming a stage means raise, escalate or nothing depending
// on what is already open (docs/decisions/0012).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <rapidjson/document.h>

#include "adapter/engine/engine.h"
#include "adapter/engine/inbound_event.h"
#include "adapter/engine/protocol_set.h"
#include "connectors/source.h"

namespace crp::connectors {

struct StageRef {
  const Protocol* protocol = nullptr;
  const Stage* stage = nullptr;
  std::string track;  // when the label is a track's own (labels_by_track); else empty
};

class StageLabels {
 public:
  // The protocols an input serves: `protocols` in its config entry, else every
  // loaded protocol whose case_system is `case_system`. Throws json::ConfigError
  // (at `pointer`) for an unknown protocol or a label two stages share.
  StageLabels(std::shared_ptr<const ProtocolSet> protocols, const rapidjson::Value& options,
              const std::string& case_system, const std::string& config_file,
              const std::string& pointer);

  // The stage a label names (exact, else ignoring case, spaces and punctuation).
  const StageRef* find(const std::string& label) const;

 private:
  std::shared_ptr<const ProtocolSet> protocols_;  // keeps the Protocol pointers alive
  std::unordered_map<std::string, StageRef> by_label_;
  std::unordered_map<std::string, StageRef> by_folded_label_;
};

// Lower-case letters and digits only: "Children's Service Manager" and
// "childrens service manager" fold alike.
std::string fold(const std::string& text);

// The protocol's role key for a role as a case system names it: the key itself
// ("team_manager") or its title ("Team Manager"); nullopt when neither.
std::optional<std::string> role_key(const Protocol& protocol, const std::string& role);

// The event a record naming stage `ref` is for challenge `event.challenge_id`:
// challenge.raised when none exists; nothing (dropped) when it is already at
// that stage (a form re-saved, the alert of a form already recorded); else an
// escalation to it (challenge.response_rejected when the chair had the
// response and the stage is the next one, challenge.escalated otherwise).
// The event's finding_id (the watch finding a record form takes up) is kept on
// a raise only.
SourceResult stage_record(InboundEvent event, const StageRef& ref, const Engine& state);

// A mapping failure: error class crp.MappingError, "<system> event <pointer>: <rule>".
SourceResult mapping_error(const std::string& system, const std::string& pointer,
                           const std::string& rule);

// Validates a record value against `schema` (under schemas/): nullopt when it is
// fine, else the DLQ result (crp.NotJson / crp.SchemaViolation) naming the pointer.
std::optional<SourceResult> parse_and_validate(const std::string& system, const std::string& value,
                                               const std::string& schema, rapidjson::Document& doc);

// The shared front of a case-system source: validates the record, reads its
// occurred_at, and lets `map_document(doc, at)` map it; the result carries
// the event time (the processor fires earlier deadlines before mapping again).
template <typename MapDocument>
SourceResult map_timed_record(const std::string& system, const std::string& schema,
                              const std::string& value, MapDocument&& map_document);

// Small readers for validated documents.
std::string str(const rapidjson::Value& o, const char* key);
const rapidjson::Value* obj(const rapidjson::Value& o, const char* key);

template <typename MapDocument>
SourceResult map_timed_record(const std::string& system, const std::string& schema,
                              const std::string& value, MapDocument&& map_document) {
  rapidjson::Document doc;
  if (auto bad = parse_and_validate(system, value, schema, doc)) return *bad;
  const std::optional<Instant> at = parse_iso8601(str(doc, "occurred_at"));
  if (!at) return mapping_error(system, "/occurred_at", "not a valid ISO 8601 instant");
  SourceResult result = map_document(doc, *at);
  result.occurred_at = at;
  return result;
}

}  // namespace crp::connectors
