#include "adapter/runtime/intake.h"

namespace crp {

void Intake::admit(InboundEvent& e, const std::string& known_agency) const {
  const AgencyCodes::Coded coded = config_.agencies.code_of(e.agency);
  if (!coded.code.empty() && !coded.known && observer_) observer_->agency_unmapped();
  e.agency = coded.code;

  if (e.contact_emails.empty()) return;
  const std::string agency =
      e.agency.empty() ? config_.agencies.code_of(known_agency).code : e.agency;
  const ProtocolRuntime* rt = config_.protocols->find(e.protocol);
  for (auto it = e.contact_emails.begin(); it != e.contact_emails.end();) {
    // A contact for a role the protocol does not have would never be used,
    // and one from an unknown domain could redirect a child's case to anyone:
    // the directory wins over both.
    const char* refused = nullptr;
    if (!rt || !rt->protocol.roles.count(it->first)) {
      refused = "not_a_role";
    } else if (!config_.email.directory.allows_contact(it->second, agency)) {
      refused = "domain_not_allowed";
    }
    if (!refused) {
      ++it;
      continue;
    }
    if (observer_) observer_->contact_refused(refused);
    it = e.contact_emails.erase(it);
  }
}

}  // namespace crp
