#include "connectors/lcs/lcs_case_note.h"

namespace crp::connectors::lcs {

using casenotes::kv;

void LcsCaseNote::write_body(casenotes::Writer& w, const Effect& effect,
                             const CaseNoteDecision& note, const Protocol&, const Subject&) const {
  kv(w, "person_id", effect.case_id);
  if (auto id = casenotes::source_ref(effect.challenge_id, "lcs-"); !id.empty())
    kv(w, "process_id", id);
  w.Key("case_note");
  w.StartObject();
  kv(w, "note_type", casenotes::note_type(note));
  casenotes::query_action_outcome(w, note);
  w.EndObject();
}

}  // namespace crp::connectors::lcs
