// Calendar hot paths: working-day arithmetic, deadlines and ISO 8601 text.
// Start dates and instants cycle through 2024-2028 so holiday lookups and
// branches see realistic variety rather than one repeated input.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapter/calendar/time.h"
#include "adapter/calendar/working_calendar.h"

namespace {

using crp::Instant;
using std::chrono::sys_days;

const crp::WorkingCalendar& calendar() {
  static const crp::WorkingCalendar cal = [] {
    const std::string path = std::string(CRP_SOURCE_DIR) + "/config/calendars/bank-holidays.json";
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return crp::WorkingCalendar(text.str(), "england-and-wales");
  }();
  return cal;
}

constexpr sys_days kFirst{std::chrono::year{2024} / 1 / 1};
constexpr int kSpanDays = 5 * 365;  // 2024-01-01 .. ~2028-12-30

// 4096 instants spread over 2024-2028 at varied times of day.
const std::vector<Instant>& instants() {
  static const std::vector<Instant> v = [] {
    std::vector<Instant> out;
    std::uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 4096; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      const auto ms = static_cast<std::int64_t>(x % (std::uint64_t{kSpanDays} * 86'400'000));
      out.push_back(Instant{kFirst.time_since_epoch()} + std::chrono::milliseconds{ms});
    }
    return out;
  }();
  return v;
}

void BM_AddWorkingDays(benchmark::State& state) {
  const auto& cal = calendar();
  const int n = static_cast<int>(state.range(0));
  int i = 0;
  for (auto _ : state) {
    const sys_days from = kFirst + std::chrono::days{i};
    benchmark::DoNotOptimize(cal.add_working_days(from, n));
    if (++i == kSpanDays) i = 0;
  }
}
BENCHMARK(BM_AddWorkingDays)->Arg(5)->Arg(10)->Arg(20);

void BM_IsWorkingDay(benchmark::State& state) {
  const auto& cal = calendar();
  int i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cal.is_working_day(kFirst + std::chrono::days{i}));
    if (++i == kSpanDays) i = 0;
  }
}
BENCHMARK(BM_IsWorkingDay);

void BM_LocalDate(benchmark::State& state) {
  const auto& cal = calendar();
  const auto& ts = instants();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cal.local_date(ts[i]));
    i = (i + 1) & 4095;
  }
}
BENCHMARK(BM_LocalDate);

void BM_DueInstant(benchmark::State& state) {
  const auto& cal = calendar();
  const auto& ts = instants();
  const crp::Deadline d{static_cast<int>(state.range(0)), crp::DeadlineUnit::working_days};
  const crp::LocalTimeOfDay end{17 * 60};
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cal.due_instant(ts[i], d, end));
    i = (i + 1) & 4095;
  }
}
BENCHMARK(BM_DueInstant)->Arg(5)->Arg(10)->Arg(20);

void BM_DueInstantWeeks(benchmark::State& state) {
  const auto& cal = calendar();
  const auto& ts = instants();
  const crp::Deadline d{2, crp::DeadlineUnit::weeks};
  const crp::LocalTimeOfDay end{17 * 60};
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cal.due_instant(ts[i], d, end));
    i = (i + 1) & 4095;
  }
}
BENCHMARK(BM_DueInstantWeeks);

void BM_ParseIso8601(benchmark::State& state) {
  std::vector<std::string> texts;
  for (std::size_t k = 0; k < 1024; ++k) texts.push_back(crp::format_iso8601(instants()[k]));
  texts[1] = "2026-12-17T09:30:00.250+01:00";
  texts[2] = "2026-12-17T09:30:00Z";
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(crp::parse_iso8601(texts[i]));
    i = (i + 1) & 1023;
  }
}
BENCHMARK(BM_ParseIso8601);

void BM_FormatIso8601(benchmark::State& state) {
  const auto& ts = instants();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(crp::format_iso8601(ts[i]));
    i = (i + 1) & 4095;
  }
}
BENCHMARK(BM_FormatIso8601);

void BM_FormatIso8601WholeSeconds(benchmark::State& state) {
  const auto& ts = instants();
  std::vector<Instant> whole;
  for (const Instant t : ts) whole.push_back(std::chrono::floor<std::chrono::seconds>(t));
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(crp::format_iso8601(whole[i]));
    i = (i + 1) & 4095;
  }
}
BENCHMARK(BM_FormatIso8601WholeSeconds);

}  // namespace
