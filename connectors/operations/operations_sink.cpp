#include "connectors/operations/operations_sink.h"

#include "connectors/canonical/cloudevents.h"
#include "connectors/sink_json.h"

namespace crp::connectors::operations {

void OperationsSink::write(const SinkInput& in, std::vector<Record>& out,
                           std::vector<SinkFailure>&) const {
  const auto* notice = std::get_if<OperationsNotice>(&in.effect.what);
  if (!notice) return;
  const Effect& e = in.effect;
  rapidjson::StringBuffer b;
  SinkWriter w(b);
  w.StartObject();
  field_if_set(w, "type", notice->type);
  field_if_set(w, "challenge_id", e.challenge_id);
  field_if_set(w, "protocol", e.protocol);
  w.Key("protocol_version");
  w.Int(notice->protocol_version);
  field_if_set(w, "stage", notice->stage);
  field_if_set(w, "reason", notice->reason);
  field_if_set(w, "occurred_at", format_iso8601(e.at));
  w.EndObject();
  canonical::CloudEvent ce;
  // The same notice after each restore has the same id: consumers may deduplicate it.
  ce.id = notice->type + ":" + e.id();
  ce.source = source_ + "/" + e.protocol;
  ce.type = "uk.gov.crp." + notice->type;
  ce.subject = e.subject();
  ce.time = format_iso8601(e.at);
  out.push_back(record(e, std::string(b.GetString(), b.GetSize()), canonical::binary_headers(ce)));
}

}  // namespace crp::connectors::operations
