// Turns engine effects into the records the service produces: each effect goes
// to every sink (connectors/sink.h), one per output topic: escalations
// (CloudEvents binary mode), facts, email, case notes, the partner outbox, and
// operations notices.
// DLQ decisions, and what a sink could not write, become the original input
// with Kafka Connect error headers. Used identically by `run` and by `replay`.
#pragma once

#include <memory>
#include <vector>

#include "adapter/core/record.h"
#include "adapter/engine/effect.h"
#include "adapter/engine/engine.h"
#include "adapter/runtime/service_config.h"
#include "connectors/sink.h"

namespace crp {

class OutputRouter {
 public:
  explicit OutputRouter(const ServiceConfig& config);
  ~OutputRouter();

  // `input` is the record that caused the effects (nullptr for timers); its
  // traceparent is copied and it is what a DLQ decision dead-letters.
  void route(const Effect& effect, const Engine& engine, const Record* input,
             std::vector<Record>& out) const;

  // The DLQ record for an input that failed before reaching the engine.
  Record dead_letter(const Record& input, const std::string& error_class,
                     const std::string& message) const;

 private:
  const ServiceConfig& config_;
  std::vector<std::unique_ptr<const connectors::Sink>> sinks_;  // in output order
};

}  // namespace crp
