// The records around a GOV.UK Notify email, all pure: an email record as the
// delivery engine's job, Notify's delivery receipt (its callback), and what
// the service writes about them: notification.sent / notification.failed
// CloudEvents (reference, status, Notify's id; never the address nor the
// personalisation) and the fallback email to a team mailbox
// (docs/decisions/0049).
#pragma once

#include <optional>
#include <string>

#include "adapter/calendar/time.h"
#include "adapter/delivery/job.h"

namespace crp::notify {

// An email record (Notify's request body: template_id, email_address,
// personalisation, reference) as a job of the `notify` channel: id the
// reference, lane the record's key (the challenge; the reference when the
// key is empty), order the decision's sequence number in the reference
// ("<challenge>:<seq>:<role>"). nullopt with `problem` set when it is not one.
std::optional<delivery::Job> email_job(const std::string& key, const std::string& value,
                                       Instant now, std::string& problem);

// Notify's callback body: {"id", "reference", "to", "status", ...}.
struct Receipt {
  std::string id;         // Notify's notification id
  std::string reference;  // ours, as sent
  std::string status;     // delivered | permanent-failure | temporary-failure | technical-failure
};
// nullopt with `problem` set when the body is not a receipt (never quoting it).
std::optional<Receipt> parse_receipt(const std::string& body, std::string& problem);

// The suffix of a fallback email's reference: its own permanent failure
// produces no further fallback.
inline constexpr const char* kFallbackSuffix = ":fallback";
bool is_fallback(const std::string& reference);

// uk.gov.crp.notification.sent: {reference, notification_id}.
std::string sent_event(const std::string& source, const std::string& reference,
                       const std::string& notification_id, Instant now);
// uk.gov.crp.notification.failed: {reference, status, notification_id}.
std::string failed_event(const std::string& source, const Receipt& r, Instant now);

// The email record telling `mailbox` of a permanent failure: template
// `template_id` (the `delivery_failed` kind), reference
// "<failed reference>:fallback", personalisation failed_reference,
// recipient_role, status and notification_id.
std::string fallback_email(const Receipt& r, const std::string& template_id,
                           const std::string& mailbox);

// The lane (Kafka key) of a reference "<challenge>:<seq>:<role>": the challenge.
std::string reference_challenge(const std::string& reference);

}  // namespace crp::notify
