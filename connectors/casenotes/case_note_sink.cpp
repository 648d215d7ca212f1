#include "connectors/casenotes/case_note_sink.h"

namespace crp::connectors::casenotes {

void CaseNoteSink::write(const SinkInput& in, std::vector<Record>& out,
                         std::vector<SinkFailure>&) const {
  const auto* note = std::get_if<CaseNoteDecision>(&in.effect.what);
  if (!note || !in.protocol) return;
  out.push_back(record(in.effect, value(in.effect, *note, in.protocol->protocol, in.subject)));
}

std::string CaseNoteSink::value(const Effect& effect, const CaseNoteDecision& note,
                                const Protocol& protocol, const Subject& subject) const {
  // The system that holds the child's file: where the event came from, unless
  // it came in canonical form, then the protocol's case system.
  const std::string& system =
      effect.source_system == "canonical" ? protocol.case_system : effect.source_system;
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  kv(w, "system", system);
  kv(w, "case_id", effect.case_id);
  kv(w, "challenge_id", effect.challenge_id);
  kv(w, "external_reference", effect.id());
  kv(w, "recorded_at", format_iso8601(effect.at));
  if (auto format = formats_.find(system); format != formats_.end()) {
    format->second->write_body(w, effect, note, protocol, subject);
  } else {
    w.Key("case_note");
    w.StartObject();
    kv(w, "note_type", note_type(note));
    query_action_outcome(w, note);
    w.EndObject();
  }
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace crp::connectors::casenotes
