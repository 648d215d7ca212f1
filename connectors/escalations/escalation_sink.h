// Sink connector: lifecycle events -> crp.escalations, one CloudEvent each in
// binary mode (ce_* headers from the shared writer, connectors/canonical/
// cloudevents.h; the value is the event: challenge or plan id, case_id,
// protocol, track, agency, occurred_at, then the type's own fields). See
// docs/connectors.md.
#pragma once

#include <string>

#include "connectors/sink.h"

namespace crp::connectors::escalations {

class EscalationSink : public Sink {
 public:
  // `source` is the service's CloudEvents source (ce_source is source/protocol).
  EscalationSink(std::string topic, std::string source)
      : Sink(std::move(topic)), source_(std::move(source)) {}

  void write(const SinkInput& in, std::vector<Record>& out,
             std::vector<SinkFailure>& failures) const override;

 private:
  std::string source_;
};

}  // namespace crp::connectors::escalations
