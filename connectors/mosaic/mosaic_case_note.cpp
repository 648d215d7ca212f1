#include "connectors/mosaic/mosaic_case_note.h"

namespace crp::connectors::mosaic {
namespace {

using casenotes::kv;

struct StepChange {
  std::string action;       // create | complete | update
  std::string next_action;  // for complete
};

// Where the challenge stands after the note tells a note on the stage just
// left (complete its step, next action the new stage) from one on the stage
// just started.
StepChange step_change(const CaseNoteDecision& note, const Protocol& protocol,
                       const std::optional<Standing>& now) {
  if (!now || note.stage.empty()) return {"update", ""};
  if (note.stage != now->stage && !now->stage.empty()) {
    const std::string stage(now->stage);
    const Stage* next = protocol.stage(stage);
    return {"complete", next ? next->label_for(std::string(now->track)) : stage};
  }
  if (now->closed) {
    return {"complete", now->outcome == "resolved"    ? "Resolution agreed - close"
                        : now->outcome == "withdrawn" ? "Resolution withdrawn - close"
                                                      : "Resolution process exhausted - close"};
  }
  // A new step only for the note that starts the stage; responses, meetings
  // and duties done are updates of the step already there.
  return {note.opens_stage ? "create" : "update", ""};
}

}  // namespace

void MosaicCaseNote::write_body(casenotes::Writer& w, const Effect& effect,
                                const CaseNoteDecision& note, const Protocol& protocol,
                                const Subject& subject) const {
  kv(w, "person_id", effect.case_id);
  if (auto id = casenotes::source_ref(effect.challenge_id, "mosaic-"); !id.empty())
    kv(w, "workflow_id", id);
  StepChange change = step_change(note, protocol, subject.standing);
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
  kv(w, "form_type",
     note.stage_label.empty() ? casenotes::note_type(note) : "Resolution Case Note");
  w.Key("answers");
  w.StartObject();
  casenotes::query_action_outcome(w, note);
  w.EndObject();
  w.EndObject();
}

}  // namespace crp::connectors::mosaic
