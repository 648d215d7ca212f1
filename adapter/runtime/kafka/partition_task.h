// The state of one input partition number: its own engine (restored from
// changelog partition N) and processor (with its own clock). Partitions are
// independent, so a partition can move to another instance without touching
// the others.
#pragma once

#include <cstdint>

#include "adapter/engine/engine.h"
#include "adapter/runtime/processor.h"
#include "adapter/runtime/service_config.h"

namespace crp::kafka {

struct PartitionTask {
  // `protocols`: the calendar the partition's state is restored under (the one
  // loaded at start); the service then brings it up to the current calendar.
  PartitionTask(const ServiceConfig& config, std::shared_ptr<const ProtocolSet> protocols,
                std::int32_t number, IntakeObserver* intake_observer = nullptr)
      : partition(number), engine(std::move(protocols)), processor(config, engine) {
    engine.set_closed_retention(config.closed_retention);
    engine.set_agency_codes(&config.agencies);
    processor.set_intake_observer(intake_observer);
  }
  PartitionTask(const PartitionTask&) = delete;
  PartitionTask& operator=(const PartitionTask&) = delete;

  const std::int32_t partition;
  // Whether the calendar its restored state was counted under has been compared
  // with the service's (ExactlyOnceService::catch_up_calendar).
  bool calendar_compared = false;
  Engine engine;
  Processor processor;  // holds a reference to `engine`: tasks never move
};

}  // namespace crp::kafka
