#include "connectors/facts/fact_sink.h"

#include "connectors/facts/fact_mapping.h"
#include "connectors/facts/watch_fact.h"

namespace crp::connectors::facts {

void FactSink::write(const SinkInput& in, std::vector<Record>& out,
                     std::vector<SinkFailure>&) const {
  const auto* event = std::get_if<LifecycleEvent>(&in.effect.what);
  if (!event || !in.protocol) return;
  const Effect& e = in.effect;
  const std::vector<Header> json{{"content-type", "application/json"}};
  if (!e.plan_id.empty()) {
    for (std::string& value : watch_facts_of(e, *event, in.plan, *in.protocol))
      out.push_back(Record{topic(), watch_fact_id(e), json, std::move(value)});
    return;
  }
  auto agency_code = [this](std::string_view text) { return agencies_.code_of(text).code; };
  // The engine already holds the challenge as the event left it, history
  // included, so the facts go in the same transaction as the event.
  for (std::string& value : facts_of(e, *event, in.challenge, *in.protocol, agency_code))
    out.push_back(record(e, std::move(value), json));
}

}  // namespace crp::connectors::facts
