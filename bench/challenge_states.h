// Realistic challenge states for the restore benchmarks (changelog_fill,
// restore_bench): built by the engine itself from events, so their fields,
// sizes and pending timers are the service's own.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "adapter/engine/engine.h"

namespace crp::bench {

// One challenge's events: raised at its protocol's first stage, and for
// every other challenge a second step, so states differ in phase and history.
inline void build_challenges(crp::Engine& engine,
                             const std::vector<const crp::ProtocolRuntime*>& protocols,
                             std::size_t first, std::size_t count, crp::Instant base) {
  static const char* const kAgencies[] = {"health", "police", "education", "childrens_social_care"};
  static const char* const kCategories[] = {"core_groups", "visits", "plan_drift", "reports"};
  crp::Effects effects;
  for (std::size_t i = first; i < first + count; ++i) {
    const crp::Protocol& p = protocols[i % protocols.size()]->protocol;
    const crp::Instant at = base + std::chrono::seconds(30 * static_cast<long long>(i % 200000));
    crp::InboundEvent raised;
    raised.type = crp::EventType::raised;
    raised.event_id = "fill-" + std::to_string(i) + "-1";
    raised.occurred_at = at;
    raised.challenge_id = "FILL-" + std::to_string(i);
    raised.case_id = "CASE-" + std::to_string(i / 2);
    raised.protocol = p.id;
    raised.stage = p.start_stages.empty() ? p.stages.front().id : p.start_stages.front();
    if (!p.tracks.empty()) raised.track = p.tracks[i % p.tracks.size()];
    raised.agency = kAgencies[i % 4];
    raised.categories = {kCategories[i % 4]};
    raised.contact_emails = {
        {"social_worker", "sw" + std::to_string(i % 997) + "@authority.example"}};
    effects.clear();
    engine.apply(raised, at, effects);
    if (i % 2 == 1) {
      crp::InboundEvent next = raised;
      next.type = i % 4 == 1 ? crp::EventType::response_received : crp::EventType::escalated;
      next.event_id = "fill-" + std::to_string(i) + "-2";
      next.occurred_at = at + std::chrono::hours(26);
      next.stage.clear();
      effects.clear();
      engine.apply(next, next.occurred_at, effects);  // a refused step leaves the state as raised
    }
  }
}

}  // namespace crp::bench
