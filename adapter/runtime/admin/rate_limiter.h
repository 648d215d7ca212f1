// Requests per second per client address: a token bucket each, refilled at
// `per_second` up to a burst of twice that. Buckets of clients quiet for a
// minute are forgotten, so a scan of many addresses cannot grow the map for
// ever. Used on the service's thread only: no lock.
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>

namespace crp::admin {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(int per_second) : rate_(per_second), burst_(2.0 * per_second) {}

  // True if `client` may make a request at `now` (and counts it).
  bool allow(const std::string& client, Clock::time_point now = Clock::now());
  std::size_t clients() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point refilled;
  };
  void forget_idle(Clock::time_point now);

  double rate_;
  double burst_;
  std::unordered_map<std::string, Bucket> buckets_;
  Clock::time_point next_sweep_{};
};

}  // namespace crp::admin
