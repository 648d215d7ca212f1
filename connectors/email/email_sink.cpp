#include "connectors/email/email_sink.h"

#include "connectors/email/notify_email.h"

namespace crp::connectors::email {

void EmailSink::write(const SinkInput& in, std::vector<Record>& out,
                      std::vector<SinkFailure>& failures) const {
  const auto* decision = std::get_if<NotificationDecision>(&in.effect.what);
  if (!decision) return;
  const Effect& e = in.effect;
  std::vector<EmailRecord> emails;
  std::vector<Unresolved> unresolved;
  map(e, *decision, in.protocol, settings_, in.subject, emails, unresolved);
  for (EmailRecord& m : emails) out.push_back(record(e, std::move(m.value)));
  for (const Unresolved& u : unresolved) {
    // Dead-lettered so a person can resend it once the directory has the mailbox.
    failures.push_back({"crp.UnresolvedRecipient",
                        "no email address for role '" + u.role + "' (" + decision->template_key +
                            (u.agency.empty() ? "" : ", agency " + u.agency) + ")",
                        "{\"reference\":\"" + e.id() + ":" + u.role + "\"}"});
  }
}

}  // namespace crp::connectors::email
