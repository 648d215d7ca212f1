// Mosaic's write-back format: a step update (the step to create or complete
// and the next action chosen) with a "Resolution Case Note" form (query,
// action, outcome). See docs/connectors.md.
#pragma once

#include "connectors/casenotes/case_note_format.h"

namespace crp::connectors::mosaic {

class MosaicCaseNote : public casenotes::CaseNoteFormat {
 public:
  void write_body(casenotes::Writer& w, const Effect& effect, const CaseNoteDecision& note,
                  const Protocol& protocol, const Subject& subject) const override;
};

}  // namespace crp::connectors::mosaic
