// Forwards librdkafka's own log lines and client errors to the JSON log.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <optional>
#include <string>

namespace crp::kafka {

// What is wrong when Kafka refused this client's SASL credentials or the
// client refused the broker's TLS certificate; nullopt for any other error
// (a broker restarting, a connection reset during a handshake). `detail` is
// librdkafka's error or log text, which never quotes sasl.password.
std::optional<std::string> credential_failure(RdKafka::ErrorCode err, const std::string& detail);

// A credential failure ends the process (see docs/decisions/0022): librdkafka
// would retry it for ever while no retry can cure a configuration mistake.
class EventLogger : public RdKafka::EventCb {
 public:
  explicit EventLogger(std::string client) : client_(std::move(client)) {}
  void event_cb(RdKafka::Event& event) override;

 private:
  std::string client_;  // which of our clients: consumer, producer, restore
};

}  // namespace crp::kafka
