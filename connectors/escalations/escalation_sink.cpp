#include "connectors/escalations/escalation_sink.h"

#include "connectors/canonical/cloudevents.h"
#include "connectors/sink_json.h"

namespace crp::connectors::escalations {
namespace {

// Common fields of every escalation value (challenge_id, case_id,
// protocol, occurred_at), then the type's own.
std::string lifecycle_value(const Effect& e, const LifecycleEvent& ev) {
  rapidjson::StringBuffer b;
  SinkWriter w(b);
  w.StartObject();
  field_if_set(w, "type", ev.type);
  field_if_set(w, "challenge_id", e.challenge_id.empty() ? ev.linked_challenge_id : e.challenge_id);
  field_if_set(w, "plan_id", e.plan_id);
  field_if_set(w, "case_id", e.case_id);
  field_if_set(w, "protocol", e.protocol);
  field_if_set(w, "track", e.track);
  field_if_set(w, "agency", e.agency);
  field_if_set(w, "occurred_at", format_iso8601(ev.occurred_at));
  field_if_set(w, "from_stage", ev.from_stage);
  field_if_set(w, "stage", ev.stage);
  field_if_set(w, "stage_label", ev.stage_label);
  field_if_set(w, "reason", ev.reason);
  field_if_set(w, "outcome", ev.outcome);
  field_if_set(w, "duty", ev.duty);
  field_if_set(w, "duty_label", ev.duty_label);
  if (ev.due_at) field_if_set(w, "due_at", format_iso8601(*ev.due_at));
  field_if_set(w, "deadline", ev.deadline);
  if (ev.previous_due_at) field_if_set(w, "previous_due_at", format_iso8601(*ev.previous_due_at));
  if (ev.protocol_version > 0) {
    w.Key("previous_protocol_version");
    w.Int(ev.previous_protocol_version);
    w.Key("protocol_version");
    w.Int(ev.protocol_version);
  }
  field_if_set(w, "rule", ev.rule);
  field_if_set(w, "finding_id", ev.finding_id);
  field_if_set(w, "conference_id", ev.conference_id);
  if (ev.actual_at) field_if_set(w, "actual_at", format_iso8601(*ev.actual_at));
  if (ev.type == "watch.pre_conference_check") {
    w.Key("missing");
    w.StartArray();
    for (const auto& m : ev.missing) w.String(m);
    w.EndArray();
  }
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace

void EscalationSink::write(const SinkInput& in, std::vector<Record>& out,
                           std::vector<SinkFailure>&) const {
  const auto* event = std::get_if<LifecycleEvent>(&in.effect.what);
  if (!event) return;
  const Effect& e = in.effect;
  canonical::CloudEvent ce;
  ce.id = e.id();
  ce.source = source_ + "/" + e.protocol;
  ce.type = "uk.gov.crp." + event->type;
  ce.subject = e.subject();
  ce.time = format_iso8601(event->occurred_at);
  out.push_back(record(e, lifecycle_value(e, *event), canonical::binary_headers(ce)));
}

}  // namespace crp::connectors::escalations
