#include "adapter/delivery/policy.h"

#include <algorithm>
#include <cmath>

namespace crp::delivery {
namespace {

// Uniform in [0, 1) from the top 53 bits: the same on every standard library,
// unlike std::uniform_real_distribution, so a seeded rng gives the same delays.
double unit_interval(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

}  // namespace

std::vector<std::chrono::milliseconds> standard_retry_schedule() {
  using namespace std::chrono;
  return {seconds(5), minutes(5), minutes(30), hours(2), hours(5),
          hours(10),  hours(14),  hours(20),   hours(24)};
}

std::optional<std::chrono::milliseconds> next_delay(const RetryPolicy& policy, int attempts_made,
                                                    std::optional<std::chrono::milliseconds> floor,
                                                    std::mt19937_64& rng) {
  using std::chrono::milliseconds;
  if (attempts_made < 1 || static_cast<std::size_t>(attempts_made) > policy.schedule.size())
    return std::nullopt;
  const milliseconds base = policy.schedule[static_cast<std::size_t>(attempts_made) - 1];
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  const double factor = 1.0 + jitter * (2.0 * unit_interval(rng) - 1.0);
  milliseconds delay(
      static_cast<milliseconds::rep>(std::llround(static_cast<double>(base.count()) * factor)));
  if (floor) delay = std::max(delay, std::min(*floor, milliseconds(kMaxRetryAfter)));
  return std::max(delay, milliseconds(0));
}

}  // namespace crp::delivery
