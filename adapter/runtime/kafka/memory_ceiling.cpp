#include "adapter/runtime/kafka/memory_ceiling.h"

#include <malloc.h>

#include <string>

#include "adapter/runtime/admin/process_metrics.h"

namespace crp::kafka {
namespace {

// A restore adds about 1.2 KiB of resident memory per challenge at some
// 50,000 challenges a second (docs/benchmarks.md): 10 ms is under 1 MiB.
constexpr auto kRestoreCheckEvery = std::chrono::milliseconds(10);
constexpr auto kProcessingCheckEvery = std::chrono::seconds(1);
constexpr auto kWarningEvery = std::chrono::minutes(1);

}  // namespace

MemoryCeilingExceeded::MemoryCeilingExceeded(std::uint64_t rss_bytes, std::uint64_t limit_bytes)
    : std::runtime_error("resident memory " + std::to_string(mib(rss_bytes)) +
                         " MiB is above runtime.memory_limit_mib " +
                         std::to_string(mib(limit_bytes))),
      rss_bytes_(rss_bytes) {}

MemoryCeiling::MemoryCeiling(std::optional<std::uint64_t> limit_mib)
    : limit_bytes_(limit_mib ? *limit_mib << 20 : 0) {}

void MemoryCeiling::check() {
  if (!enabled()) return;
  const auto now = Clock::now();
  if (now < next_check_) return;
  next_check_ = now + kRestoreCheckEvery;
  if (auto rss = admin::resident_memory_bytes(); rss && *rss > limit_bytes_) {
    throw MemoryCeilingExceeded(*rss, limit_bytes_);
  }
}

std::optional<std::uint64_t> MemoryCeiling::above_while_processing() {
  if (!enabled()) return std::nullopt;
  const auto now = Clock::now();
  if (now < next_processing_check_ || now < next_warning_) return std::nullopt;
  next_processing_check_ = now + kProcessingCheckEvery;
  auto rss = admin::resident_memory_bytes();
  if (!rss || *rss <= limit_bytes_) return std::nullopt;
  next_warning_ = now + kWarningEvery;
  return rss;
}

void MemoryCeiling::release_free_memory() {
  malloc_trim(0);
}

}  // namespace crp::kafka
