#include "connectors/notify/notify_records.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <functional>

#include "adapter/json/json.h"
#include "connectors/canonical/cloudevents.h"
#include "connectors/notify/notify_settings.h"

namespace crp::notify {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void text(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

std::string member(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString()
             ? std::string(it->value.GetString(), it->value.GetStringLength())
             : std::string();
}

// "<challenge>:<seq>:<role>" split from the right (a challenge id may hold ':').
struct ReferenceParts {
  std::string challenge, role;
  std::uint64_t seq = 0;
  bool ok = false;
};

ReferenceParts split_reference(const std::string& reference) {
  ReferenceParts out;
  const auto role_colon = reference.rfind(':');
  if (role_colon == std::string::npos || role_colon == 0) return out;
  const auto seq_colon = reference.rfind(':', role_colon - 1);
  if (seq_colon == std::string::npos || seq_colon == 0) return out;
  const char* begin = reference.data() + seq_colon + 1;
  const char* end = reference.data() + role_colon;
  auto [at, ec] = std::from_chars(begin, end, out.seq);
  if (ec != std::errc() || at != end || begin == end) return out;
  out.challenge = reference.substr(0, seq_colon);
  out.role = reference.substr(role_colon + 1);
  out.ok = true;
  return out;
}

std::string cloud_event(const std::string& source, const char* type, const std::string& reference,
                        Instant now, const std::function<void(Writer&)>& data) {
  connectors::canonical::CloudEvent event;
  event.time = format_iso8601(now);
  event.id = std::string(type) + ":" + reference + ":" + event.time;
  event.source = source;
  event.type = std::string("uk.gov.crp.") + type;
  event.subject = reference;
  return connectors::canonical::structured_event(event, data);
}

}  // namespace

std::optional<delivery::Job> email_job(const std::string& key, const std::string& value,
                                       Instant now, std::string& problem) {
  rapidjson::Document doc;
  if (!json::parse(value, doc, problem)) {
    problem = "email record is not JSON: " + problem;
    return std::nullopt;
  }
  if (!doc.IsObject()) {
    problem = "email record is not a JSON object";
    return std::nullopt;
  }
  for (const char* required : {"template_id", "email_address", "reference"}) {
    if (member(doc, required).empty()) {
      problem = std::string("email record has no string member '") + required + "'";
      return std::nullopt;
    }
  }
  delivery::Job job;
  job.partner_id = kChannelId;
  job.webhook_id = member(doc, "reference");
  job.challenge_id = key.empty() ? job.webhook_id : key;
  job.seq = split_reference(job.webhook_id).seq;
  job.body = value;
  job.created_at = now;
  job.next_attempt_at = now;
  return job;
}

std::optional<Receipt> parse_receipt(const std::string& body, std::string& problem) {
  rapidjson::Document doc;
  if (!json::parse(body, doc, problem) || !doc.IsObject()) {
    problem = "the body is not a JSON object";
    return std::nullopt;
  }
  Receipt r{member(doc, "id"), member(doc, "reference"), member(doc, "status")};
  if (r.id.empty() || r.status.empty()) {
    problem = "a receipt needs string members id and status";
    return std::nullopt;
  }
  if (r.id.size() > 64 || r.reference.size() > 1000 || r.status.size() > 64) {
    problem = "a receipt member is too long";
    return std::nullopt;
  }
  return r;
}

bool is_fallback(const std::string& reference) {
  return reference.ends_with(kFallbackSuffix);
}

std::string reference_challenge(const std::string& reference) {
  ReferenceParts p = split_reference(reference);
  return p.ok ? p.challenge : reference;
}

std::string sent_event(const std::string& source, const std::string& reference,
                       const std::string& notification_id, Instant now) {
  return cloud_event(source, "notification.sent", reference, now, [&](Writer& w) {
    text(w, "reference", reference);
    text(w, "notification_id", notification_id);
  });
}

std::string failed_event(const std::string& source, const Receipt& r, Instant now) {
  return cloud_event(source, "notification.failed", r.reference, now, [&](Writer& w) {
    text(w, "reference", r.reference);
    text(w, "status", r.status);
    text(w, "notification_id", r.id);
  });
}

std::string fallback_email(const Receipt& r, const std::string& template_id,
                           const std::string& mailbox) {
  const ReferenceParts parts = split_reference(r.reference);
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  text(w, "template_id", template_id);
  text(w, "email_address", mailbox);
  w.Key("personalisation");
  w.StartObject();
  text(w, "failed_reference", r.reference);
  text(w, "recipient_role", parts.ok ? parts.role : std::string());
  text(w, "status", r.status);
  text(w, "notification_id", r.id);
  w.EndObject();
  text(w, "reference", r.reference + kFallbackSuffix);
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace crp::notify
