#include "adapter/engine/inbound_event.h"

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>

#include "adapter/json/schema_registry.h"

namespace crp {
namespace {

constexpr std::array<std::pair<std::string_view, EventType>, 15> kTypes{{
    {"challenge.raised", EventType::raised},
    {"challenge.response_received", EventType::response_received},
    {"challenge.response_approved", EventType::response_approved},
    {"challenge.response_accepted", EventType::response_accepted},
    {"challenge.response_rejected", EventType::response_rejected},
    {"challenge.escalated", EventType::escalated},
    {"challenge.meeting_scheduled", EventType::meeting_scheduled},
    {"challenge.meeting_held", EventType::meeting_held},
    {"challenge.resolved", EventType::resolved},
    {"challenge.withdrawn", EventType::withdrawn},
    {"duty.completed", EventType::duty_completed},
    {"conference.dissent_raised", EventType::dissent_raised},
    {"cin.step_down_agreed", EventType::step_down_agreed},
    {"cin.step_down_checked", EventType::step_down_checked},
    {"good_practice.noted", EventType::good_practice_noted},
}};

std::string get(const rapidjson::Value& doc, const char* key) {
  auto it = doc.FindMember(key);
  return it == doc.MemberEnd() ? std::string()
                               : std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

std::string event_fingerprint(const InboundEvent& e) {
  // FNV-1a 64 over the fields, each followed by a separator byte that text
  // fields cannot hold unescaped, so ("ab","c") and ("a","bc") differ.
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](std::string_view s) {
    for (unsigned char ch : s) {
      h ^= ch;
      h *= 1099511628211ull;
    }
    h ^= 0x1f;
    h *= 1099511628211ull;
  };
  mix(to_string(e.type));
  mix(format_iso8601(e.occurred_at));
  mix(e.challenge_id);
  mix(e.case_id);
  mix(e.protocol);
  mix(e.route);
  mix(e.stage);
  mix(e.to_stage);
  mix(e.track);
  mix(e.agency);
  for (const auto& c : e.categories) mix(c);
  mix(e.immediate_risk ? "1" : "0");
  mix(e.respond_by.value_or("-"));
  mix(e.meeting_at ? format_iso8601(*e.meeting_at) : "-");
  mix(e.approved_by);
  mix(e.duty);
  mix(!e.cin_plan_evidenced ? "-" : *e.cin_plan_evidenced ? "1" : "0");
  mix(e.conference_date.value_or("-"));
  mix(e.exemplary ? "1" : "0");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = kHex[h & 0xf];
  return out;
}

const char* to_string(EventType t) {
  for (const auto& [name, type] : kTypes) {
    if (type == t) return name.data();
  }
  return "unknown";
}

std::optional<InboundEvent> parse_canonical(const rapidjson::Value& doc, EventError& error) {
  if (auto v = json::validate("inbound/canonical.schema.json", doc)) {
    error = {"crp.SchemaViolation", "canonical event " +
                                        (v->document_pointer.empty() ? "/" : v->document_pointer) +
                                        ": " + v->message};
    return std::nullopt;
  }
  InboundEvent e;
  std::string type = get(doc, "type");
  for (const auto& [name, t] : kTypes) {
    if (name == type) e.type = t;
  }
  e.event_id = get(doc, "event_id");
  auto at = parse_iso8601(get(doc, "occurred_at"));
  if (!at) {
    error = {"crp.SchemaViolation", "canonical event /occurred_at: not an ISO 8601 instant"};
    return std::nullopt;
  }
  e.occurred_at = *at;
  e.challenge_id = get(doc, "challenge_id");
  e.case_id = get(doc, "case_id");
  e.protocol = get(doc, "protocol");
  e.route = get(doc, "route");
  e.stage = get(doc, "stage");
  e.to_stage = get(doc, "to_stage");
  e.track = get(doc, "track");
  e.agency = get(doc, "agency");
  e.team = get(doc, "team");
  e.locality = get(doc, "locality");
  e.approved_by = get(doc, "approved_by");
  e.duty = get(doc, "duty");
  if (doc.HasMember("categories")) {
    for (const auto& c : doc["categories"].GetArray()) e.categories.emplace_back(c.GetString());
  }
  if (doc.HasMember("immediate_risk")) e.immediate_risk = doc["immediate_risk"].GetBool();
  if (doc.HasMember("exemplary")) e.exemplary = doc["exemplary"].GetBool();
  if (doc.HasMember("cin_plan_evidenced"))
    e.cin_plan_evidenced = doc["cin_plan_evidenced"].GetBool();
  if (doc.HasMember("respond_by")) e.respond_by = get(doc, "respond_by");
  if (doc.HasMember("conference_date")) e.conference_date = get(doc, "conference_date");
  // The conference as an instant (as case systems often record it): its UTC date.
  if (!e.conference_date && doc.HasMember("conference_at")) {
    auto at = parse_iso8601(get(doc, "conference_at"));
    if (!at) {
      error = {"crp.SchemaViolation", "canonical event /conference_at: not an ISO 8601 instant"};
      return std::nullopt;
    }
    e.conference_date = format_iso8601(*at).substr(0, 10);
  }
  if (doc.HasMember("meeting_at")) {
    e.meeting_at = parse_iso8601(get(doc, "meeting_at"));
    if (!e.meeting_at) {
      error = {"crp.SchemaViolation", "canonical event /meeting_at: not an ISO 8601 instant"};
      return std::nullopt;
    }
  }
  if (doc.HasMember("contacts")) {
    for (auto m = doc["contacts"].MemberBegin(); m != doc["contacts"].MemberEnd(); ++m) {
      if (m->value.HasMember("email"))
        e.contact_emails.emplace(m->name.GetString(), m->value["email"].GetString());
    }
  }
  if (doc.HasMember("source") && doc["source"].HasMember("system") &&
      doc["source"]["system"].IsString()) {
    e.source_system = doc["source"]["system"].GetString();
  }
  return e;
}

}  // namespace crp
