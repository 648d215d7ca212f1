// The CPU side of a restore, per changelog record: decoding the state and
// putting it back into the engine, for the JSON version 1 and the binary
// version 2 record, against copying the record's bytes (the floor). The wire
// side is bench/restore_scale.sh.
//   build/bench/restore_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <utility>
#include <vector>

#include "adapter/engine/challenge_codec.h"
#include "adapter/runtime/service_config.h"
#include "bench/challenge_states.h"

namespace crp {
namespace {

constexpr std::size_t kRecords = 100'000;

struct Changelog {
  std::vector<std::pair<std::string, std::string>> v1, v2;  // key, value
  std::shared_ptr<const ProtocolSet> protocols;
};

const Changelog& changelog() {
  static const Changelog log = [] {
    const ServiceConfig config =
        load_service_config(std::string(CRP_SOURCE_DIR) + "/config/crp-adapter.json");
    std::vector<const ProtocolRuntime*> protocols;
    for (const auto& [id, runtime] : config.protocols->all()) protocols.push_back(&runtime);
    Engine engine(config.protocols);
    bench::build_challenges(engine, protocols, 0, kRecords, *parse_iso8601("2027-01-04T09:00:00Z"));
    Changelog out;
    out.protocols = config.protocols;
    engine.for_each([&](const Challenge& c) {
      out.v1.emplace_back(c.id, encode_challenge_json_v1(c));
      out.v2.emplace_back(c.id, encode_challenge(c));
    });
    return out;
  }();
  return log;
}

void report(benchmark::State& state, const std::vector<std::pair<std::string, std::string>>& log) {
  std::size_t bytes = 0;
  for (const auto& [key, value] : log) bytes += value.size();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * log.size()));
  state.counters["mean_value_bytes"] = static_cast<double>(bytes) / static_cast<double>(log.size());
}

// The floor: every record's key and value copied once, as a consumer must.
void BM_RestoreBaselineCopy(benchmark::State& state) {
  const auto& log = changelog().v2;
  for (auto _ : state) {
    for (const auto& [key, value] : log) {
      std::string k = key, v = value;
      benchmark::DoNotOptimize(k.data());
      benchmark::DoNotOptimize(v.data());
    }
  }
  report(state, log);
}

void decode_all(benchmark::State& state,
                const std::vector<std::pair<std::string, std::string>>& log) {
  std::string error;
  for (auto _ : state) {
    for (const auto& [key, value] : log) {
      auto c = decode_challenge(value, error);
      if (!c) state.SkipWithError(error.c_str());
      benchmark::DoNotOptimize(c);
    }
  }
  report(state, log);
}
void BM_RestoreDecodeJsonV1(benchmark::State& state) {
  decode_all(state, changelog().v1);
}
void BM_RestoreDecodeBinaryV2(benchmark::State& state) {
  decode_all(state, changelog().v2);
}

// What ChangelogRestorer does per record: decode, then Engine::restore into an
// engine sized for the whole changelog (index, slots and timer queue).
void restore_all(benchmark::State& state,
                 const std::vector<std::pair<std::string, std::string>>& log) {
  std::string error;
  for (auto _ : state) {
    Engine engine(changelog().protocols);
    engine.reserve(log.size());
    for (const auto& [key, value] : log) {
      auto c = decode_challenge(value, error);
      if (!c) state.SkipWithError(error.c_str());
      engine.restore(std::move(*c));
    }
    if (engine.size() != log.size()) state.SkipWithError("not every challenge restored");
    state.PauseTiming();  // freeing 100,000 challenges is not the restore
    { Engine gone = std::move(engine); }
    state.ResumeTiming();
  }
  report(state, log);
}
void BM_RestoreEngineJsonV1(benchmark::State& state) {
  restore_all(state, changelog().v1);
}
void BM_RestoreEngineBinaryV2(benchmark::State& state) {
  restore_all(state, changelog().v2);
}

BENCHMARK(BM_RestoreBaselineCopy)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RestoreDecodeJsonV1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RestoreDecodeBinaryV2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RestoreEngineJsonV1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RestoreEngineBinaryV2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crp
