#include "connectors/casenotes/case_note.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace crp::connectors::casenotes {

std::string map(const Effect& effect, const CaseNoteDecision& note, const Protocol& protocol) {
  // The system that holds the child's file: where the event came from, unless
  // it came in canonical form, then the protocol's case system.
  std::string system = effect.source_system == "canonical" ? protocol.case_system : effect.source_system;
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.StartObject();
  w.Key("system"), w.String(system);
  w.Key("case_id"), w.String(effect.case_id);
  w.Key("challenge_id"), w.String(effect.challenge_id);
  w.Key("reference"), w.String(effect.id());
  w.Key("recorded_at"), w.String(format_iso8601(effect.at));
  if (system == "mosaic") {
    w.Key("step_note");
    w.StartObject();
    w.Key("step_type"), w.String(note.stage_label);
    w.Key("note"), w.String(note.query + "\n" + note.action + "\n" + note.outcome);
    w.EndObject();
  } else {
    w.Key("case_note");
    w.StartObject();
    w.Key("note_type"), w.String(note.stage_label.empty() ? "Case note" : note.stage_label);
    w.Key("query"), w.String(note.query);
    w.Key("action"), w.String(note.action);
    w.Key("outcome"), w.String(note.outcome);
    w.EndObject();
  }
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace crp::connectors::casenotes
