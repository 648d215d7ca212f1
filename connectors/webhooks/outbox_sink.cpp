#include "connectors/webhooks/outbox_sink.h"

#include "connectors/sink_json.h"

namespace crp::webhooks {

using connectors::field_if_set;

void OutboxSink::write(const connectors::SinkInput& in, std::vector<Record>& out,
                       std::vector<connectors::SinkFailure>&) const {
  const auto* decision = std::get_if<PartnerDecision>(&in.effect.what);
  if (!decision) return;
  const Effect& e = in.effect;
  rapidjson::StringBuffer b;
  connectors::SinkWriter w(b);
  w.StartObject();
  field_if_set(w, "route", decision->route);
  field_if_set(w, "delivery_id", e.id());
  field_if_set(w, "type", decision->event_type);
  field_if_set(w, "challenge_id", e.challenge_id);
  field_if_set(w, "case_id", e.case_id);
  field_if_set(w, "protocol", e.protocol);
  field_if_set(w, "agency", agencies_.code_of(e.agency).code);
  field_if_set(w, "stage", decision->stage);
  field_if_set(w, "stage_label", decision->stage_label);
  if (decision->due_at) field_if_set(w, "due_at", format_iso8601(*decision->due_at));
  field_if_set(w, "occurred_at", format_iso8601(e.at));
  w.EndObject();
  // Keyed by the challenge: the delivery's lanes keep one challenge's events in order.
  out.push_back(Record{topic(), e.challenge_id, {}, std::string(b.GetString(), b.GetSize())});
}

}  // namespace crp::webhooks
