// The email connector as a sink: each notification decision -> one GOV.UK
// Notify request per recipient address (notify_email.h), and a failure per
// role with no address (crp.UnresolvedRecipient, dead-lettered).
#pragma once

#include <string>

#include "connectors/email/email_settings.h"
#include "connectors/sink.h"

namespace crp::connectors::email {

class EmailSink : public Sink {
 public:
  // `settings` must outlive the sink (the service config holds both).
  EmailSink(std::string topic, const EmailSettings& settings)
      : Sink(std::move(topic)), settings_(settings) {}

  void write(const SinkInput& in, std::vector<Record>& out,
             std::vector<SinkFailure>& failures) const override;

 private:
  const EmailSettings& settings_;
};

}  // namespace crp::connectors::email
