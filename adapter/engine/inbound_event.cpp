#include "adapter/engine/inbound_event.h"

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>

#include "adapter/engine/fnv1a.h"
#include "adapter/json/schema_registry.h"

namespace crp {
namespace {

constexpr std::array<std::pair<std::string_view, EventType>, 25> kTypes{{
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
    {"conference.scheduled", EventType::conference_scheduled},
    {"conference.held", EventType::conference_held},
    {"conference.cancelled", EventType::conference_cancelled},
    {"report.shared", EventType::report_shared},
    {"consultation_form.completed", EventType::consultation_form_completed},
    {"interpreter.booked", EventType::interpreter_booked},
    {"core_group.held", EventType::core_group_held},
    {"child.seen", EventType::child_seen},
    {"plan.ended", EventType::plan_ended},
    {"watch.suggestion_dismissed", EventType::suggestion_dismissed},
}};

// What each activity needs besides plan_id, so a record the watch cannot use
// is dead-lettered with the field named rather than half-applied.
const char* missing_activity_field(const InboundEvent& e) {
  switch (e.type) {
    case EventType::conference_scheduled:
      if (e.conference_id.empty()) return "conference_id";
      if (e.conference_kind.empty()) return "conference_kind";
      if (!e.conference_at) return "conference_at";
      return nullptr;
    case EventType::conference_held:
    case EventType::conference_cancelled:
    case EventType::report_shared:
    case EventType::consultation_form_completed:
    case EventType::interpreter_booked:
      return e.conference_id.empty() ? "conference_id" : nullptr;
    case EventType::suggestion_dismissed:
      return e.finding_id.empty() ? "finding_id" : nullptr;
    default:
      return nullptr;
  }
}

std::string get(const rapidjson::Value& doc, const char* key) {
  auto it = doc.FindMember(key);
  return it == doc.MemberEnd() ? std::string()
                               : std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

std::uint64_t event_fingerprint(const InboundEvent& e) {
  // FNV-1a 64 over the fields, each followed by a separator byte that text
  // fields cannot hold unescaped, so ("ab","c") and ("a","bc") differ.
  std::uint64_t h = kFnv1a64Basis;
  auto mix = [&h](std::string_view s) { h = fnv1a64("\x1f", fnv1a64(s, h)); };
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
  // Fields added later are mixed only when present, so the fingerprints of
  // events without them (kept in restored state) do not change.
  for (const std::string* f :
       {&e.plan_id, &e.finding_id, &e.conference_id, &e.conference_kind, &e.plan_outcome}) {
    if (!f->empty()) mix(*f);
  }
  // (A step-down event's conference_at is already in conference_date.)
  if (e.conference_at && is_activity(e.type)) mix(format_iso8601(*e.conference_at));
  if (e.interpreter_needed) mix("interpreter_needed");
  return h;
}

bool is_activity(EventType t) {
  return t >= EventType::conference_scheduled;
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
  if (doc.HasMember("conference_at")) {
    e.conference_at = parse_iso8601(get(doc, "conference_at"));
    if (!e.conference_at) {
      error = {"crp.SchemaViolation", "canonical event /conference_at: not an ISO 8601 instant"};
      return std::nullopt;
    }
    // The step-down check counts from the conference's date (its UTC date,
    // as before activity events used the field).
    if (!e.conference_date && !is_activity(e.type))
      e.conference_date = format_iso8601(*e.conference_at).substr(0, 10);
  }
  e.plan_id = get(doc, "plan_id");
  e.finding_id = get(doc, "finding_id");
  e.conference_id = get(doc, "conference_id");
  e.conference_kind = get(doc, "conference_kind");
  e.plan_outcome = get(doc, "plan_outcome");
  if (doc.HasMember("interpreter_needed"))
    e.interpreter_needed = doc["interpreter_needed"].GetBool();
  if (is_activity(e.type)) {
    if (const char* field = missing_activity_field(e)) {
      error = {"crp.SchemaViolation",
               std::string("canonical event /") + field + ": required for " + to_string(e.type)};
      return std::nullopt;
    }
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
