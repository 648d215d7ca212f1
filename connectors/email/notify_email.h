// Sink connector: notification decisions -> one GOV.UK Notify "send an email"
// record per recipient address ({template_id, email_address, personalisation,
// reference}). See docs/connectors.md and docs/decisions/0013.
//
// Personalisation is a fixed allowlist: case_reference (the case-system id),
// protocol (its title), stage_label, recipient_role (the role's title), copy,
// reason (a sentence the engine builds from stage labels and dates only),
// due_date (local date) and link (email.case_link with {case_id}). Never a
// child's name: names are dropped when events are mapped and not kept in state.
#pragma once

#include <string>
#include <vector>

#include "adapter/engine/agency_codes.h"
#include "adapter/engine/effect.h"
#include "adapter/engine/protocol_set.h"
#include "connectors/email/email_settings.h"
#include "connectors/subject.h"

namespace crp::connectors::email {

struct EmailRecord {
  std::string role;
  std::string value;  // JSON
};

struct Unresolved {
  std::string role;    // no address on the event nor in the directory
  std::string agency;  // the partner agency whose role it is, if it is one
};

// The Notify template id for a decision: "protocol.stage.kind", then
// "protocol.kind", then "kind"; "crp:<kind>" (visibly unconfigured) otherwise.
std::string template_id(const EmailSettings& settings, const std::string& protocol,
                        const std::string& stage, const std::string& kind);

// Addresses come from the challenge's contacts first, then the directory (the
// challenge's team, then locality, then the default). A partner agency's own
// role (the protocol's partner_agency.roles, when the challenge's agency is a
// partner) comes from the contacts, then the directory's entry for that agency,
// and never from a council mailbox (docs/decisions/0042). One record per distinct
// address: a mailbox that serves two roles gets one email, addressed as the
// first role ("to" before "cc"). An unknown challenge's subject has no team,
// locality or contacts (then the directory's defaults apply); `protocol` is
// the effect's (null: roles are not titled).
void map(const Effect& effect, const NotificationDecision& n, const ProtocolRuntime* protocol,
         const EmailSettings& settings, const Subject& subject, std::vector<EmailRecord>& out,
         std::vector<Unresolved>& unresolved);

}  // namespace crp::connectors::email
