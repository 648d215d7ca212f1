#include "connectors/webhooks/delivery.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <stdexcept>

#include "adapter/json/json.h"
#include "connectors/canonical/cloudevents.h"
#include "connectors/percent_encoding.h"

namespace crp::webhooks {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// The outbox members a subscription can select on.
struct Selectors {
  std::string route, type, protocol, stage, agency;
};

std::string member(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString()
             ? std::string(it->value.GetString(), it->value.GetStringLength())
             : std::string();
}

bool admits(const std::set<std::string>& wanted, const std::string& value) {
  return wanted.empty() || wanted.count(value) > 0;
}

bool subscribed(const Subscription& s, const Selectors& v) {
  return admits(s.routes, v.route) && admits(s.event_types, v.type) &&
         admits(s.protocols, v.protocol) && admits(s.stages, v.stage) &&
         admits(s.agencies, v.agency);
}

// Percent-encodes every byte of a challenge id outside [A-Za-z0-9.-], so that
// "msg_<challenge>_<seq>_<partner>" is a header-safe token that maps back to
// exactly one delivery (partner ids cannot hold '_').
std::string header_safe(const std::string& text) {
  return connectors::percent_encode(text, "-.");
}

void string_field(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

std::string cloud_event(const rapidjson::Value& outbox, const Partner& partner,
                        const std::string& webhook_id, const std::string& source,
                        const std::string& challenge_id) {
  connectors::canonical::CloudEvent event;
  event.id = webhook_id;
  event.source = source;
  event.type = "uk.gov.crp." + member(outbox, "type");
  event.subject = challenge_id;
  event.time = member(outbox, "occurred_at");  // left out when the outbox has none
  return connectors::canonical::structured_event(event, [&](connectors::canonical::JsonWriter& w) {
    // Outbox order, so the bytes are the same on every run; a member is copied
    // only when the partner's allowlist names it (whatever its type).
    for (auto m = outbox.MemberBegin(); m != outbox.MemberEnd(); ++m) {
      const std::string name(m->name.GetString(), m->name.GetStringLength());
      if (!partner.allowed_fields.count(name)) continue;
      w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
      m->value.Accept(w);
    }
  });
}

}  // namespace

std::vector<Delivery> fan_out(const std::string& outbox_value, const PartnerRegistry& partners,
                              const std::string& source) {
  rapidjson::Document doc;
  std::string error;
  if (!json::parse(outbox_value, doc, error))
    throw std::invalid_argument("outbox record is not JSON: " + error);
  if (!doc.IsObject()) throw std::invalid_argument("outbox record is not a JSON object");
  for (const char* required : {"route", "delivery_id", "type", "challenge_id"}) {
    if (member(doc, required).empty()) {
      throw std::invalid_argument(std::string("outbox record has no string member '") + required +
                                  "'");
    }
  }
  const std::string delivery_id = member(doc, "delivery_id");
  const std::string challenge_id = member(doc, "challenge_id");
  // delivery_id is "<challenge_id>:<seq>" (Effect::id()).
  const auto colon = delivery_id.rfind(':');
  std::uint64_t seq = 0;
  const char* seq_begin =
      delivery_id.data() + (colon == std::string::npos ? delivery_id.size() : colon + 1);
  const char* seq_end = delivery_id.data() + delivery_id.size();
  auto [end, ec] = std::from_chars(seq_begin, seq_end, seq);
  if (colon == std::string::npos || delivery_id.compare(0, colon, challenge_id) != 0 ||
      ec != std::errc() || end != seq_end || seq_begin == seq_end) {
    throw std::invalid_argument("outbox delivery_id is not <challenge_id>:<seq>");
  }
  Instant occurred{};
  if (const std::string t = member(doc, "occurred_at"); !t.empty()) {
    auto parsed = parse_iso8601(t);
    if (!parsed) throw std::invalid_argument("outbox occurred_at is not ISO 8601");
    occurred = *parsed;
  }

  const Selectors selectors{member(doc, "route"), member(doc, "type"), member(doc, "protocol"),
                            member(doc, "stage"), member(doc, "agency")};
  std::vector<Delivery> out;
  for (const Partner& p : partners.partners) {
    if (!subscribed(p.subscription, selectors)) continue;
    Delivery d;
    d.partner_id = p.id;
    d.webhook_id = "msg_" + header_safe(challenge_id) + "_" + std::to_string(seq) + "_" + p.id;
    d.challenge_id = challenge_id;
    d.seq = seq;
    d.body = cloud_event(doc, p, d.webhook_id, source, challenge_id);
    d.created_at = occurred;
    d.next_attempt_at = occurred;
    out.push_back(std::move(d));
  }
  return out;
}

std::string encode(const Delivery& d) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  string_field(w, "partner_id", d.partner_id);
  string_field(w, "webhook_id", d.webhook_id);
  string_field(w, "challenge_id", d.challenge_id);
  w.Key("seq");
  w.Uint64(d.seq);
  w.Key("attempt");
  w.Int(d.attempt);
  string_field(w, "created_at", format_iso8601(d.created_at));
  string_field(w, "next_attempt_at", format_iso8601(d.next_attempt_at));
  string_field(w, "last_error", d.last_error);
  string_field(w, "body", d.body);
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

std::optional<Delivery> decode(const std::string& value) {
  rapidjson::Document doc;
  std::string error;
  if (!json::parse(value, doc, error) || !doc.IsObject()) return std::nullopt;
  auto text = [&](const char* key) -> const rapidjson::Value* {
    auto it = doc.FindMember(key);
    return it != doc.MemberEnd() && it->value.IsString() ? &it->value : nullptr;
  };
  for (const char* key :
       {"partner_id", "webhook_id", "challenge_id", "created_at", "next_attempt_at", "body"}) {
    if (!text(key)) return std::nullopt;
  }
  auto seq = doc.FindMember("seq");
  auto attempt = doc.FindMember("attempt");
  if (seq == doc.MemberEnd() || !seq->value.IsUint64() || attempt == doc.MemberEnd() ||
      !attempt->value.IsInt() || attempt->value.GetInt() < 0) {
    return std::nullopt;
  }
  auto created = parse_iso8601(doc["created_at"].GetString());
  auto next = parse_iso8601(doc["next_attempt_at"].GetString());
  if (!created || !next) return std::nullopt;
  Delivery d;
  d.partner_id = member(doc, "partner_id");
  d.webhook_id = member(doc, "webhook_id");
  d.challenge_id = member(doc, "challenge_id");
  d.seq = seq->value.GetUint64();
  d.attempt = attempt->value.GetInt();
  d.created_at = *created;
  d.next_attempt_at = *next;
  d.last_error = text("last_error") ? member(doc, "last_error") : std::string();
  d.body = member(doc, "body");
  if (d.partner_id.empty() || d.webhook_id.empty()) return std::nullopt;
  return d;
}

}  // namespace crp::webhooks
