// The shape every source connector has (connectors/<name>/): a thin, stateless
// mapping from one Kafka record of a case system's format to at most one
// canonical InboundEvent. Built once from the service config and shared by
// every partition's Processor.
#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <optional>
#include <string>

#include "adapter/engine/engine.h"
#include "adapter/engine/inbound_event.h"
#include "adapter/runtime/record.h"

namespace crp::connectors {

// What a connector made of one record: an event, nothing (the record is not
// about challenges, e.g. an unrelated CDC table: dropped, not dead-lettered),
// or an error naming the field and the rule (dead-lettered).
struct SourceResult {
  std::optional<InboundEvent> event;
  EventError error;  // set when !event && !dropped
  bool dropped = false;

  static SourceResult ok(InboundEvent e) { return {std::move(e), {}, false}; }
  static SourceResult drop() { return {std::nullopt, {}, true}; }
  static SourceResult fail(std::string error_class, std::string message) {
    return {std::nullopt, {std::move(error_class), std::move(message)}, false};
  }
};

class SourceConnector {
 public:
  virtual ~SourceConnector() = default;
  // `state` is read-only: case systems record "Stage 2" without saying whether
  // the challenge is new, so a mapper may look at what is already open.
  virtual SourceResult map(const Record& record, const Engine& state) const = 0;
};

// Builds the connector named in an `inputs[]` entry of the service config.
// `options` is that entry (its connector-specific members), `config_dir` the
// directory of the config file for relative paths. Throws json::ConfigError.
std::shared_ptr<const SourceConnector> make_source(const std::string& connector, const rapidjson::Value& options,
                                                   const std::string& config_file, const std::string& pointer);

}  // namespace crp::connectors
