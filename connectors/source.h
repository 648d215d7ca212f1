// The shape every source connector has (connectors/<name>/): a thin, stateless
// mapping from one Kafka record of a case system's format to at most one
// canonical InboundEvent. Built once from the service config and shared by
// every partition's Processor.
#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <optional>
#include <string>

#include "adapter/core/record.h"
#include "adapter/engine/engine.h"
#include "adapter/engine/inbound_event.h"

namespace crp::connectors {

// What a connector made of one record: an event, nothing (the record is not
// about challenges, e.g. an unrelated CDC table: dropped, not dead-lettered),
// or an error naming the field and the rule (dead-lettered).
struct SourceResult {
  // A constructor rather than an aggregate: connectors write {event, error, dropped}.
  SourceResult(std::optional<InboundEvent> e = std::nullopt, EventError err = {}, bool drop = false,
               std::optional<Instant> at = std::nullopt)
      : event(std::move(e)),
        error(std::move(err)),
        dropped(drop),
        occurred_at(at      ? at
                    : event ? std::optional<Instant>(event->occurred_at)
                            : std::nullopt) {}

  std::optional<InboundEvent> event;
  EventError error;  // set when !event && !dropped
  bool dropped = false;
  // When the record says it happened, if the connector read that far (also for
  // drops and errors; always, with an event): see SourceConnector::reads_state.
  std::optional<Instant> occurred_at;

  static SourceResult ok(InboundEvent e) { return {std::move(e)}; }
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
  // True when map() decides from `state` (raise or escalate, current stage):
  // with the event clock the processor first fires the deadlines that passed
  // before the record's occurred_at, then maps it again on the state they left.
  virtual bool reads_state() const { return false; }
};

// Builds the connector named in an `inputs[]` entry of the service config.
// `options` is that entry (its connector-specific members), `config_dir` the
// directory of the config file for relative paths. `protocols` are the loaded
// protocols (case systems record stage labels, which connectors map to stage
// ids). Throws json::ConfigError.
std::shared_ptr<const SourceConnector> make_source(const std::string& connector,
                                                   const rapidjson::Value& options,
                                                   const std::string& config_file,
                                                   const std::string& pointer,
                                                   std::shared_ptr<const ProtocolSet> protocols);

}  // namespace crp::connectors
