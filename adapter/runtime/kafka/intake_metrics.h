// The intake's counts as Prometheus counters: agency text no alias matched
// (add it to config/agencies.json), and contacts refused by role or domain.
#pragma once

#include <string>
#include <string_view>

#include "adapter/runtime/admin/metrics.h"
#include "adapter/runtime/intake.h"

namespace crp::kafka {

class IntakeMetrics : public IntakeObserver {
 public:
  explicit IntakeMetrics(admin::MetricsRegistry& m)
      : unmapped_(m.counter("crp_agency_unmapped_total",
                            "Events whose agency text matched no alias (coded as other)", {})
                      .with({})),
        refused_(m.counter("crp_contacts_refused_total",
                           "Contacts on events refused: not a protocol role, or a domain "
                           "not on the directory's allowlist",
                           {"reason"})),
        not_a_role_(refused_.with({"not_a_role"})),
        domain_(refused_.with({"domain_not_allowed"})) {}

  void agency_unmapped() override { unmapped_.inc(); }
  void contact_refused(std::string_view reason) override {
    (reason == "not_a_role" ? not_a_role_ : domain_).inc();
  }

 private:
  admin::Counter& unmapped_;
  admin::Family<admin::Counter>& refused_;
  admin::Counter& not_a_role_;
  admin::Counter& domain_;
};

}  // namespace crp::kafka
