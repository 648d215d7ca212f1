// Turns engine effects into the records the service produces, topic by topic:
// lifecycle events -> escalations (CloudEvents binary mode), notifications ->
// email records, case notes -> casenotes, partner decisions -> the webhook
// outbox, DLQ decisions -> the original input with Kafka Connect error headers.
// Used identically by `run` and by `replay`.
#pragma once

#include <vector>

#include "adapter/engine/effect.h"
#include "adapter/engine/engine.h"
#include "adapter/runtime/record.h"
#include "adapter/runtime/service_config.h"

namespace crp {

class OutputRouter {
 public:
  explicit OutputRouter(const ServiceConfig& config) : config_(config) {}

  // `input` is the record that caused the effects (nullptr for timers); its
  // traceparent is copied and it is what a DLQ decision dead-letters.
  void route(const Effect& effect, const Engine& engine, const Record* input,
             std::vector<Record>& out) const;

  // The DLQ record for an input that failed before reaching the engine.
  Record dead_letter(const Record& input, const std::string& error_class,
                     const std::string& message) const;

 private:
  void route_facts(const Effect& effect, const LifecycleEvent& event, const Engine& engine,
                   std::vector<Record>& out) const;

  const ServiceConfig& config_;
};

}  // namespace crp
