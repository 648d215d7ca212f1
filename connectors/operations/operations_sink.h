// Sink connector: operations notices -> the operations topic (crp.operations
// by default, shared with the webhook dispatcher's partner.disabled), one
// CloudEvent each in binary mode. Today one type: challenge.quarantined, a
// challenge restored into a configuration with no place for it
// (docs/decisions/0061). The value names the challenge, its protocol,
// version and stage, and the reason; no case reference or personal data.
#pragma once

#include <string>

#include "connectors/sink.h"

namespace crp::connectors::operations {

class OperationsSink : public Sink {
 public:
  // `source` is the service's CloudEvents source (ce_source is source/protocol).
  OperationsSink(std::string topic, std::string source)
      : Sink(std::move(topic)), source_(std::move(source)) {}

  void write(const SinkInput& in, std::vector<Record>& out,
             std::vector<SinkFailure>& failures) const override;

 private:
  std::string source_;
};

}  // namespace crp::connectors::operations
