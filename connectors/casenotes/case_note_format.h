// How one case system takes a note back on the child's file. The case-note
// sink (case_note_sink.h) writes the fields every note has, then the body in
// the format of the system that holds the file; each case system's format
// lives with its connector (connectors/lcs, connectors/mosaic) and is listed
// in connectors/sink_registry.cpp.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>

#include "adapter/engine/effect.h"
#include "adapter/engine/protocol.h"
#include "connectors/subject.h"

namespace crp::connectors::casenotes {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

class CaseNoteFormat {
 public:
  virtual ~CaseNoteFormat() = default;
  // Writes the system's members of the note object (the writer is inside it,
  // after system, case_id, challenge_id, external_reference, recorded_at).
  // `subject` is whom the note is about, after the decision.
  virtual void write_body(Writer& w, const Effect& effect, const CaseNoteDecision& note,
                          const Protocol& protocol, const Subject& subject) const = 0;
};

inline void kv(Writer& w, const char* k, const std::string& v) {
  w.Key(k), w.String(v);
}

// The note type a case system files it under: the stage's label, or the
// good-practice note's own type.
inline std::string note_type(const CaseNoteDecision& note) {
  return note.stage_label.empty() ? "Good Practice Case Note" : note.stage_label;
}

// query, action, outcome: the three answers the protocols ask a note to give.
inline void query_action_outcome(Writer& w, const CaseNoteDecision& note) {
  kv(w, "query", note.query);
  kv(w, "action", note.action);
  kv(w, "outcome", note.outcome);
}

// The case-system id the source connector built the challenge id from
// ("lcs-<process id>", "mosaic-<workflow id>"), so the note lands on the same
// workflow; empty for challenges raised another way.
inline std::string source_ref(const std::string& challenge_id, const std::string& prefix) {
  return challenge_id.rfind(prefix, 0) == 0 ? challenge_id.substr(prefix.size()) : std::string();
}

}  // namespace crp::connectors::casenotes
