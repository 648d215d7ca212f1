#include "connectors/sink_registry.h"

#include "connectors/lcs/lcs_case_note.h"
#include "connectors/mosaic/mosaic_case_note.h"

namespace crp::connectors {

casenotes::CaseNoteFormats case_note_formats() {
  return {{"lcs", std::make_shared<lcs::LcsCaseNote>()},
          {"mosaic", std::make_shared<mosaic::MosaicCaseNote>()}};
}

}  // namespace crp::connectors
