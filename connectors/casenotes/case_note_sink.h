// Sink connector: case-note decisions -> the write-back record for the child's
// file (topic crp.casenotes), in the format of the system that holds the file:
// the fields every note has (system, case_id, challenge_id,
// external_reference, recorded_at), then the body of that system's format
// (connectors/lcs/lcs_case_note.h, connectors/mosaic/mosaic_case_note.h), or
// the generic body (note type, query, action, outcome) for any other system.
// `external_reference` is stable per decision: the case system stores it, and
// the LCS and Mosaic source connectors drop the echo of a note the adapter
// wrote itself. See docs/connectors.md.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "connectors/casenotes/case_note_format.h"
#include "connectors/sink.h"

namespace crp::connectors::casenotes {

// By case-system name ("lcs", "mosaic"); connectors/sink_registry.cpp lists them.
using CaseNoteFormats = std::map<std::string, std::shared_ptr<const CaseNoteFormat>>;

class CaseNoteSink : public Sink {
 public:
  CaseNoteSink(std::string topic, CaseNoteFormats formats)
      : Sink(std::move(topic)), formats_(std::move(formats)) {}

  void write(const SinkInput& in, std::vector<Record>& out,
             std::vector<SinkFailure>& failures) const override;

  // The record value alone.
  std::string value(const Effect& effect, const CaseNoteDecision& note, const Protocol& protocol,
                    const Subject& subject) const;

 private:
  CaseNoteFormats formats_;
};

}  // namespace crp::connectors::casenotes
