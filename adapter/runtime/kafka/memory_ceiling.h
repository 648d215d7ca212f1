// runtime.memory_limit_mib (docs/decisions/0031): the resident memory above
// which partitions newly assigned to this instance are refused rather than
// restored, so the instance stays up with the partitions it already runs
// instead of being killed (OOM) in the middle of a restore, and then again
// at every restart.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>

namespace crp::kafka {

// Thrown by MemoryCeiling::check() from a watched restore's between_reads
// callback: it unwinds the restore, and ExactlyOnceService refuses the
// partitions being restored.
class MemoryCeilingExceeded : public std::runtime_error {
 public:
  MemoryCeilingExceeded(std::uint64_t rss_bytes, std::uint64_t limit_bytes);
  std::uint64_t rss_bytes() const { return rss_bytes_; }

 private:
  std::uint64_t rss_bytes_;
};

class MemoryCeiling {
 public:
  explicit MemoryCeiling(std::optional<std::uint64_t> limit_mib);

  bool enabled() const { return limit_bytes_ > 0; }
  std::uint64_t limit_bytes() const { return limit_bytes_; }

  // During a restore, called between reads: reads the resident memory at
  // most every few milliseconds (a /proc read per record would slow the
  // restore down) and throws MemoryCeilingExceeded above the limit.
  // Does nothing without a limit.
  void check();

  // While processing: the resident memory when it is above the limit, at
  // most once a minute (the caller logs a warning); otherwise nothing.
  std::optional<std::uint64_t> above_while_processing();

  // Hands the memory of dropped state back to the kernel now: glibc keeps
  // freed blocks in its arenas, so without this the resident memory (what
  // the limit, the container runtime and the OOM killer see) would not fall.
  static void release_free_memory();

 private:
  using Clock = std::chrono::steady_clock;
  std::uint64_t limit_bytes_ = 0;  // 0: no limit
  Clock::time_point next_check_{};
  Clock::time_point next_processing_check_{};
  Clock::time_point next_warning_{};
};

inline std::uint64_t mib(std::uint64_t bytes) {
  return bytes >> 20;
}

}  // namespace crp::kafka
