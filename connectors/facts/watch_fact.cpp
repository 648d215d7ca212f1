#include "connectors/facts/watch_fact.h"

#include "connectors/facts/stage_fact.h"
#include "connectors/webhooks/signature.h"

namespace crp::connectors::facts {

std::string watch_fact_id(const Effect& e) {
  // A fixed key: the digest only has to be stable (the report replaces a fact
  // read twice by its id) and not show the plan id; 128 bits is plenty.
  const std::string digest = webhooks::hmac_sha256("crp.facts/watch.finding", e.id());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "watch:";
  for (std::size_t i = 0; i < 16 && i < digest.size(); ++i) {
    const auto b = static_cast<unsigned char>(digest[i]);
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
  return out;
}

std::vector<std::string> watch_facts_of(const Effect& e, const LifecycleEvent& ev,
                                        const WatchedPlan* plan, const ProtocolRuntime& runtime) {
  std::string status;
  if (ev.type == "watch.breach") {
    status = "found";
  } else if (ev.type == "watch.suggestion_dismissed") {
    status = "dismissed";
  } else if (ev.type == "watch.suggestion_taken_up") {
    status = "taken_up";
  } else {
    return {};
  }
  StageFact f;
  f.kind = StageFactKind::watch_finding;
  f.fact_id = watch_fact_id(e);
  f.protocol = e.protocol;
  f.rule = ev.rule;
  f.team = plan ? plan->team : std::string();
  f.status = std::move(status);
  f.occurred_at = ev.occurred_at;
  f.occurred_on = runtime.calendar->local_date_text(ev.occurred_at);
  return {to_json(f)};
}

}  // namespace crp::connectors::facts
