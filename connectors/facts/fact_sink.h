// The facts connector as a sink: each lifecycle event -> the board report's
// facts of it on crp.facts, codes, dates and counts only: a challenge's
// (fact_mapping.h), keyed by the challenge, or a watched plan's findings
// (watch_fact.h), keyed by the fact's own id, never the plan's.
#pragma once

#include "adapter/engine/agency_codes.h"
#include "connectors/sink.h"

namespace crp::connectors::facts {

class FactSink : public Sink {
 public:
  // `agencies` must outlive the sink (the service config holds both).
  FactSink(std::string topic, const AgencyCodes& agencies)
      : Sink(std::move(topic)), agencies_(agencies) {}

  void write(const SinkInput& in, std::vector<Record>& out,
             std::vector<SinkFailure>& failures) const override;
  bool traced() const override { return false; }

 private:
  const AgencyCodes& agencies_;
};

}  // namespace crp::connectors::facts
