#include "adapter/runtime/kafka/event_logger.h"

#include "adapter/runtime/kafka/json_log.h"

namespace crp::kafka {

void EventLogger::event_cb(RdKafka::Event& event) {
  switch (event.type()) {
    case RdKafka::Event::EVENT_ERROR:
      // Transport errors while a broker restarts are routine; librdkafka
      // retries them. Fatal ones are acted on where the API reports them.
      log(event.fatal() ? LogLevel::error : LogLevel::warning, "kafka client error",
          {{"client", client_}, {"error", RdKafka::err2str(event.err())}, {"detail", event.str()}});
      break;
    case RdKafka::Event::EVENT_LOG: {
      const int severity = event.severity();
      // Every kafka.* property goes to every client, so each client warns
      // about the other's properties ("... will be ignored by this producer
      // instance"): expected, hence info.
      if (event.fac() == "CONFWARN" &&
          event.str().find("will be ignored by this") != std::string::npos) {
        log(LogLevel::info, "librdkafka",
            {{"client", client_}, {"facility", event.fac()}, {"detail", event.str()}});
        break;
      }
      // Connection failures ("FAIL") come at error severity although
      // librdkafka reconnects by itself: a broker restart is not an error.
      if (event.fac() == "FAIL" && severity <= RdKafka::Event::EVENT_SEVERITY_ERROR) {
        log(LogLevel::warning, "librdkafka",
            {{"client", client_}, {"facility", event.fac()}, {"detail", event.str()}});
        break;
      }
      const LogLevel level = severity <= RdKafka::Event::EVENT_SEVERITY_ERROR ? LogLevel::error
                             : severity == RdKafka::Event::EVENT_SEVERITY_WARNING
                                 ? LogLevel::warning
                             : severity == RdKafka::Event::EVENT_SEVERITY_DEBUG ? LogLevel::debug
                                                                                : LogLevel::info;
      log(level, "librdkafka",
          {{"client", client_}, {"facility", event.fac()}, {"detail", event.str()}});
      break;
    }
    default:
      break;  // statistics and throttling are not enabled
  }
}

}  // namespace crp::kafka
