// Forwards librdkafka's own log lines and client errors to the JSON log.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <string>

namespace crp::kafka {

class EventLogger : public RdKafka::EventCb {
 public:
  explicit EventLogger(std::string client) : client_(std::move(client)) {}
  void event_cb(RdKafka::Event& event) override;

 private:
  std::string client_;  // which of our clients: consumer, producer, restore
};

}  // namespace crp::kafka
