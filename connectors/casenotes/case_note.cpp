#include "connectors/casenotes/case_note.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace crp::connectors::casenotes {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void kv(Writer& w, const char* k, const std::string& v) {
  w.Key(k), w.String(v);
}

// The case-system id the source connector built the challenge id from
// ("lcs-<process id>", "mosaic-<workflow id>"), so the note lands on the same
// workflow; empty for challenges raised another way.
std::string source_ref(const std::string& challenge_id, const std::string& prefix) {
  return challenge_id.rfind(prefix, 0) == 0 ? challenge_id.substr(prefix.size()) : std::string();
}

struct StepChange {
  std::string action;       // create | complete | update
  std::string next_action;  // for complete
};

StepChange step_change(const CaseNoteDecision& note, const Protocol& protocol, const Challenge* c) {
  if (!c || note.stage.empty()) return {"update", ""};
  if (note.stage != c->stage && !c->stage.empty()) {
    const Stage* now = protocol.stage(c->stage);
    return {"complete", now ? now->label_for(c->track) : c->stage};
  }
  if (c->closed()) {
    return {"complete", c->outcome == "resolved"    ? "Resolution agreed - close"
                        : c->outcome == "withdrawn" ? "Resolution withdrawn - close"
                                                    : "Resolution process exhausted - close"};
  }
  // A new step only for the note that starts the stage; responses, meetings
  // and duties done are updates of the step already there.
  return {note.opens_stage ? "create" : "update", ""};
}

void query_action_outcome(Writer& w, const CaseNoteDecision& note) {
  kv(w, "query", note.query);
  kv(w, "action", note.action);
  kv(w, "outcome", note.outcome);
}

}  // namespace

std::string map(const Effect& effect, const CaseNoteDecision& note, const Protocol& protocol,
                const Challenge* challenge) {
  // The system that holds the child's file: where the event came from, unless
  // it came in canonical form, then the protocol's case system.
  std::string system =
      effect.source_system == "canonical" ? protocol.case_system : effect.source_system;
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  kv(w, "system", system);
  kv(w, "case_id", effect.case_id);
  kv(w, "challenge_id", effect.challenge_id);
  kv(w, "external_reference", effect.id());
  kv(w, "recorded_at", format_iso8601(effect.at));
  const std::string note_type =
      note.stage_label.empty() ? "Good Practice Case Note" : note.stage_label;
  if (system == "mosaic") {
    kv(w, "person_id", effect.case_id);
    if (auto id = source_ref(effect.challenge_id, "mosaic-"); !id.empty()) kv(w, "workflow_id", id);
    StepChange change = step_change(note, protocol, challenge);
    if (!note.stage_label.empty()) {
      w.Key("step");
      w.StartObject();
      kv(w, "step_type", note.stage_label);
      kv(w, "action", change.action);
      if (!change.next_action.empty()) kv(w, "next_action", change.next_action);
      w.EndObject();
    }
    w.Key("form");
    w.StartObject();
    kv(w, "form_type", note.stage_label.empty() ? note_type : "Resolution Case Note");
    w.Key("answers");
    w.StartObject();
    query_action_outcome(w, note);
    w.EndObject();
    w.EndObject();
  } else if (system == "lcs") {
    kv(w, "person_id", effect.case_id);
    if (auto id = source_ref(effect.challenge_id, "lcs-"); !id.empty()) kv(w, "process_id", id);
    w.Key("case_note");
    w.StartObject();
    kv(w, "note_type", note_type);
    query_action_outcome(w, note);
    w.EndObject();
  } else {
    w.Key("case_note");
    w.StartObject();
    kv(w, "note_type", note_type);
    query_action_outcome(w, note);
    w.EndObject();
  }
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace crp::connectors::casenotes
