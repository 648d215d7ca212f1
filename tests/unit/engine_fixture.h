// Loads the example service config and builds canonical events for engine tests.
#pragma once

#include <string>

#include "adapter/engine/engine.h"
#include "adapter/runtime/service_config.h"

namespace crp::testing {

inline const ServiceConfig& example_config() {
  static const ServiceConfig config =
      load_service_config(std::string(CRP_SOURCE_DIR) + "/config/crp-adapter.json");
  return config;
}

inline Instant at(const std::string& iso) {
  auto t = parse_iso8601(iso);
  if (!t) throw std::invalid_argument("bad instant in test: " + iso);
  return *t;
}

inline InboundEvent event(EventType type, const std::string& id, const std::string& when,
                          const std::string& challenge = "C1",
                          const std::string& protocol = "rotherham") {
  InboundEvent e;
  e.type = type;
  e.event_id = id;
  e.occurred_at = at(when);
  e.challenge_id = challenge;
  e.case_id = "CASE-" + challenge;
  e.protocol = protocol;
  return e;
}

// The usual start of an engine test: Rotherham challenge C1 raised (event e1) on
// Thu 17 Dec 2026 at 10:00Z, applied at that instant.
inline void raise_c1(Engine& engine, Effects& out) {
  engine.apply(event(EventType::raised, "e1", "2026-12-17T10:00:00Z"), at("2026-12-17T10:00:00Z"),
               out);
}

template <typename T>
std::vector<T> only(const Effects& effects) {
  std::vector<T> out;
  for (const auto& e : effects) {
    if (auto* x = std::get_if<T>(&e.what)) out.push_back(*x);
  }
  return out;
}

}  // namespace crp::testing
