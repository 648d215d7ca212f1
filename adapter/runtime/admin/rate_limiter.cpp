#include "adapter/runtime/admin/rate_limiter.h"

#include <algorithm>

namespace crp::admin {
namespace {
constexpr auto kIdle = std::chrono::seconds(60);
}

bool RateLimiter::allow(const std::string& client, Clock::time_point now) {
  forget_idle(now);
  auto [it, fresh] = buckets_.try_emplace(client, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    const double elapsed = std::chrono::duration<double>(now - b.refilled).count();
    b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_);
    b.refilled = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

void RateLimiter::forget_idle(Clock::time_point now) {
  if (now < next_sweep_) return;
  next_sweep_ = now + kIdle;
  std::erase_if(buckets_, [&](const auto& entry) { return now - entry.second.refilled > kIdle; });
}

}  // namespace crp::admin
