#include "adapter/engine/admission.h"

namespace crp {

void Admission::refuse(Refusal r) const {
  Effect eff;
  if (subject_ == Subject::plan) {
    eff.plan_id = e_.plan_id;
  } else {
    eff.challenge_id = e_.challenge_id;
  }
  eff.case_id = e_.case_id;
  eff.protocol = e_.protocol;
  eff.at = now_;
  eff.what = DlqDecision{std::move(r.error_class), std::move(r.message)};
  out_.push_back(std::move(eff));
}

const ProtocolRuntime* Admission::protocol(const ProtocolSet& set, std::string message) const {
  const ProtocolRuntime* rt = set.find(e_.protocol);
  if (!rt) refuse({"crp.UnknownProtocol", std::move(message)});
  return rt;
}

bool Admission::dates_in_range(const std::optional<Instant>& other) const {
  for (const auto& at : {std::optional<Instant>(e_.occurred_at), other}) {
    if (at && !in_service_years(*at)) {
      refuse({"crp.EventDateOutOfRange", "a date of the event is outside 2000-2100"});
      return false;
    }
  }
  return true;
}

Admission::Verdict Admission::against(const Held& held, std::optional<Refusal> first,
                                      std::optional<Refusal> then) const {
  auto refused = [&](Refusal r) {
    refuse(std::move(r));
    return Verdict::refused;
  };
  switch (held.seen) {
    case SeenBefore::same_content:
      return Verdict::redelivery;
    case SeenBefore::other_content:
      return refused(
          {"crp.EventIdConflict",
           "event_id was already used for a different event on this " + std::string(noun())});
    case SeenBefore::no:
      break;
  }
  if (first) return refused(std::move(*first));
  if (held.protocol != e_.protocol)
    return refused({"crp.ProtocolMismatch", held.protocol_mismatch(held.protocol)});
  if (then) return refused(std::move(*then));
  if (e_.occurred_at < held.last_event_at)
    return refused(
        {"crp.OutOfOrder", "event is older than the " + std::string(noun()) + "'s last event"});
  return Verdict::admit;
}

}  // namespace crp
