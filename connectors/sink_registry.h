// The one place that knows which case systems take notes back in a format of
// their own (each lives with its connector: connectors/lcs, connectors/mosaic).
#pragma once

#include "connectors/casenotes/case_note_sink.h"

namespace crp::connectors {

casenotes::CaseNoteFormats case_note_formats();

}  // namespace crp::connectors
