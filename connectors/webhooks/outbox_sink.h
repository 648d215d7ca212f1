// The partner outbox as a sink: each partner decision -> one record on
// crp.partners.outbox (route, delivery_id, type, challenge, agency code,
// stage, dates), which the webhook delivery fans out to the subscribed
// partners (delivery.h).
#pragma once

#include "adapter/engine/agency_codes.h"
#include "connectors/sink.h"

namespace crp::webhooks {

class OutboxSink : public connectors::Sink {
 public:
  // `agencies` must outlive the sink (the service config holds both).
  OutboxSink(std::string topic, const AgencyCodes& agencies)
      : Sink(std::move(topic)), agencies_(agencies) {}

  void write(const connectors::SinkInput& in, std::vector<Record>& out,
             std::vector<connectors::SinkFailure>& failures) const override;

 private:
  const AgencyCodes& agencies_;
};

}  // namespace crp::webhooks
