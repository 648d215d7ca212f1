// Engine apply, working-day arithmetic and the timer queue.
//   build/bench/engine_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <random>

#include "adapter/engine/engine.h"
#include "adapter/runtime/service_config.h"

namespace crp {
namespace {

const ServiceConfig& config() {
  static const ServiceConfig c =
      load_service_config(std::string(CRP_SOURCE_DIR) + "/config/crp-adapter.json");
  return c;
}

InboundEvent make(EventType type, std::uint64_t n, const std::string& challenge, Instant t) {
  InboundEvent e;
  e.type = type;
  e.event_id = "e" + std::to_string(n);
  e.occurred_at = t;
  e.challenge_id = challenge;
  e.case_id = "LCS-" + challenge;
  e.protocol = "rotherham";
  return e;
}

// One challenge's life: raised, Stage 1 form sent, response, accepted.
void BM_EngineApply(benchmark::State& state) {
  Engine engine(config().protocols);
  Effects out;
  Instant t = *parse_iso8601("2027-01-04T09:00:00Z");
  std::uint64_t n = 0;
  for (auto _ : state) {
    std::string id = "C" + std::to_string(n);
    out.clear();
    engine.apply(make(EventType::raised, n++, id, t), t, out);
    InboundEvent duty = make(EventType::duty_completed, n++, id, t);
    duty.duty = "stage1_form";
    engine.apply(duty, t, out);
    engine.apply(make(EventType::response_received, n++, id, t), t, out);
    engine.apply(make(EventType::response_accepted, n++, id, t), t, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 4);
  state.counters["challenges"] = static_cast<double>(engine.size());
}
BENCHMARK(BM_EngineApply);

void BM_AddWorkingDays(benchmark::State& state) {
  const auto& cal = *config().protocols->find("rotherham")->calendar;
  auto start = std::chrono::floor<std::chrono::days>(*parse_iso8601("2026-12-17T10:00:00Z"));
  int n = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(cal.add_working_days(start, n));
}
BENCHMARK(BM_AddWorkingDays)->Arg(1)->Arg(5)->Arg(10)->Arg(20);

void BM_DueInstant(benchmark::State& state) {
  const auto& rt = *config().protocols->find("rotherham");
  Instant start = *parse_iso8601("2026-12-17T10:00:00Z");
  for (auto _ : state)
    benchmark::DoNotOptimize(rt.due(start, Deadline{10, DeadlineUnit::working_days}));
}
BENCHMARK(BM_DueInstant);

// Bytes the allocator has handed out and not taken back: measured, not
// computed from sizeof, so hidden overheads (vector growth, node headers) count.
std::size_t heap_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;  // small chunks + mmapped large ones (big vectors)
}

// Timer queue operations with n timers pending.
void fill(TimerQueue& q, std::size_t n, std::mt19937_64& rng) {
  q.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    q.set(static_cast<TimerQueue::Slot>(i), static_cast<std::int64_t>(rng() % 1'000'000'000));
}

// Schedule one more timer and cancel it again: two O(log n) heap operations.
void BM_TimerScheduleCancel(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(1);
  const std::size_t before = heap_in_use();
  TimerQueue q;
  fill(q, n + 1, rng);
  const std::size_t measured = heap_in_use() - before;
  q.cancel(static_cast<TimerQueue::Slot>(n));
  const auto extra = static_cast<TimerQueue::Slot>(n);
  for (auto _ : state) {
    q.set(extra, static_cast<std::int64_t>(rng() % 1'000'000'000));
    q.cancel(extra);
  }
  state.counters["bytes_per_timer"] =
      static_cast<double>(q.memory_bytes()) / static_cast<double>(n);
  state.counters["malloc_bytes_per_timer"] = static_cast<double>(measured) / static_cast<double>(n);
}

// Fire the earliest timer and re-arm it later (as an escalation does).
void BM_TimerFireRearm(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(3);
  TimerQueue q;
  fill(q, n, rng);
  for (auto _ : state) {
    auto e = q.pop_due(std::numeric_limits<std::int64_t>::max());
    q.set(e->slot, e->due + static_cast<std::int64_t>(rng() % 1'000'000'000));
  }
}

// Move a random timer (a response arrived; the next deadline is a duty).
void BM_TimerMove(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(2);
  TimerQueue q;
  fill(q, n, rng);
  for (auto _ : state) {
    q.set(static_cast<TimerQueue::Slot>(rng() % n),
          static_cast<std::int64_t>(rng() % 1'000'000'000));
  }
}

// A whole open challenge held by the engine (state, index, timer), measured
// from the allocator: what 1,000,000 open challenges cost in memory.
void BM_EngineOpenChallengeMemory(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  const Instant t = *parse_iso8601("2027-01-04T09:00:00Z");
  for (auto _ : state) {
    const std::size_t before = heap_in_use();
    Engine engine(config().protocols);
    Effects out;
    for (std::uint64_t i = 0; i < n; ++i) {
      out.clear();
      InboundEvent e = make(EventType::raised, i, "C" + std::to_string(i), t);
      e.contact_emails = {{"social_worker", "sw" + std::to_string(i % 97) + "@authority.example"}};
      engine.apply(e, t, out);
    }
    state.counters["malloc_bytes_per_open_challenge"] =
        static_cast<double>(heap_in_use() - before) / static_cast<double>(n);
    state.counters["pending_timers"] = static_cast<double>(engine.pending_timers());
  }
}
BENCHMARK(BM_EngineOpenChallengeMemory)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_TimerScheduleCancel)->Arg(10'000)->Arg(1'000'000)->Arg(10'000'000);
BENCHMARK(BM_TimerFireRearm)->Arg(10'000)->Arg(1'000'000)->Arg(10'000'000);
BENCHMARK(BM_TimerMove)->Arg(10'000)->Arg(1'000'000)->Arg(10'000'000);

}  // namespace
}  // namespace crp
