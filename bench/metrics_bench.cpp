// What the service's metrics add per input record, against the engine's own
// work on one event (the baseline, same binary, same run):
//   build/bench/metrics_bench --benchmark_min_time=0.2
// BM_MetricsPerRecord does what ExactlyOnceService does per input record that
// yields three outputs: one records-in count and three records-out counts
// (key built from topic and type, map lookup of the cached child, atomic add).
#include <benchmark/benchmark.h>

#include <map>
#include <string>

#include "adapter/engine/engine.h"
#include "adapter/runtime/admin/metrics.h"
#include "adapter/runtime/service_config.h"

namespace crp {
namespace {

const ServiceConfig& config() {
  static const ServiceConfig c =
      load_service_config(std::string(CRP_SOURCE_DIR) + "/config/crp-adapter.json");
  return c;
}

// Baseline: one event through the engine (a challenge raised).
void BM_EngineRaised(benchmark::State& state) {
  Engine engine(config().protocols);
  Effects out;
  const Instant t = *parse_iso8601("2027-01-04T09:00:00Z");
  std::uint64_t n = 0;
  for (auto _ : state) {
    InboundEvent e;
    e.type = EventType::raised;
    e.event_id = "e" + std::to_string(n);
    e.occurred_at = t;
    e.challenge_id = "C" + std::to_string(n++);
    e.case_id = "LCS-1";
    e.protocol = "rotherham";
    out.clear();
    engine.apply(e, t, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EngineRaised);

void BM_MetricsPerRecord(benchmark::State& state) {
  admin::MetricsRegistry registry;
  auto& in = registry.counter("in_total", "h", {"topic"});
  auto& out = registry.counter("out_total", "h", {"topic", "type"});
  std::map<std::string, admin::Counter*, std::less<>> in_cache, out_cache;
  const std::string input = "crp.commands";
  const std::pair<std::string, std::string> outputs[] = {
      {"crp.escalations", "challenge.stage_started"},
      {"crp.notifications.email", "record"},
      {"crp.casenotes", "record"}};
  for (auto _ : state) {
    auto it = in_cache.find(input);
    if (it == in_cache.end()) it = in_cache.emplace(input, &in.with({input})).first;
    it->second->inc();
    for (const auto& [topic, type] : outputs) {
      std::string key;
      key.reserve(topic.size() + 1 + type.size());
      key.append(topic).append(1, '\t').append(type);
      auto o = out_cache.find(key);
      if (o == out_cache.end())
        o = out_cache.emplace(std::move(key), &out.with({topic, type})).first;
      o->second->inc();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetricsPerRecord);

// A scrape of a registry the size of a busy instance's (for the admin loop).
void BM_Render(benchmark::State& state) {
  admin::MetricsRegistry registry;
  auto& g = registry.gauge("crp_challenges_open", "h", {"protocol", "stage"});
  for (int p = 0; p < 5; ++p)
    for (int s = 0; s < 8; ++s)
      g.with({"protocol" + std::to_string(p), "stage" + std::to_string(s)}).set(s);
  auto& h = registry.histogram("crp_webhook_latency_seconds", "h", {"partner"});
  for (int p = 0; p < 5; ++p) h.with({"partner" + std::to_string(p)}).observe(0.1);
  for (auto _ : state) benchmark::DoNotOptimize(registry.render());
}
BENCHMARK(BM_Render);

}  // namespace
}  // namespace crp
