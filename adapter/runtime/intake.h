// What every mapped event passes before the engine: its agency text becomes a
// code, and the contacts it carries are checked against the protocol's roles
// and the directory's domain allowlist (docs/decisions/0042). Pure: the
// counts go to an observer the live service turns into metrics.
#pragma once

#include <string_view>

#include "adapter/engine/inbound_event.h"
#include "adapter/runtime/service_config.h"

namespace crp {

class IntakeObserver {
 public:
  virtual ~IntakeObserver() = default;
  virtual void agency_unmapped() = 0;
  // reason: "not_a_role" | "domain_not_allowed"
  virtual void contact_refused(std::string_view reason) = 0;
};

class Intake {
 public:
  explicit Intake(const ServiceConfig& config) : config_(config) {}
  void set_observer(IntakeObserver* observer) { observer_ = observer; }

  // Codes e.agency and drops the contacts that may not be used. A contact's
  // domain is checked against the agency the event names, else the agency of
  // the challenge it belongs to (`known_agency`, empty for a new challenge).
  void admit(InboundEvent& e, const std::string& known_agency = {}) const;

 private:
  const ServiceConfig& config_;
  IntakeObserver* observer_ = nullptr;
};

}  // namespace crp
