// What the admin routes read from the running service. Implemented by the
// Kafka service and called on its thread only, between its steps, so the
// engines it exposes are never read while they change.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "adapter/calendar/time.h"
#include "adapter/engine/challenge.h"

namespace crp::admin {

struct Readiness {
  bool ready = false;
  std::string reason;  // why not (or "ready"): shown in the /readyz body
};

class AdminView {
 public:
  virtual ~AdminView() = default;
  virtual Readiness readiness() const = 0;
  // Challenges of the partitions this instance owns and has restored.
  virtual void for_each_challenge(
      const std::function<void(const Challenge&, std::int32_t partition)>& visit) const = 0;
  virtual const Challenge* find_challenge(const std::string& id, std::int32_t& partition) const = 0;
  // Quarantined challenges (restored with no place in the configuration,
  // docs/decisions/0061) with the reason; none unless the service keeps any.
  virtual void for_each_quarantined(
      const std::function<void(const Challenge&, const std::string& reason,
                               std::int32_t partition)>&) const {}
  // The service's clock (wall clock, or the test offset), for "overdue".
  virtual Instant now() const = 0;
};

}  // namespace crp::admin
