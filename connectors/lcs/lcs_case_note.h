// LCS's write-back format: an LCS case note (note type = stage label; query,
// action, outcome, as the IRO protocol asks), linked to the challenge's
// workflow process. See docs/connectors.md.
#pragma once

#include "connectors/casenotes/case_note_format.h"

namespace crp::connectors::lcs {

class LcsCaseNote : public casenotes::CaseNoteFormat {
 public:
  void write_body(casenotes::Writer& w, const Effect& effect, const CaseNoteDecision& note,
                  const Protocol& protocol, const Subject& subject) const override;
};

}  // namespace crp::connectors::lcs
