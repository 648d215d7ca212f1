#include "adapter/infra/kafka/event_logger.h"

#include <cstdlib>

#include "adapter/infra/kafka/exit_codes.h"
#include "adapter/infra/kafka/json_log.h"

namespace crp::kafka {
namespace {

bool contains(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

// The first version whose SCRAM client-final-message Apache Kafka 4.x
// accepts (librdkafka#4895): older ones are refused as "invalid credentials".
constexpr int kScramFixedVersion = 0x020601ff;

// Logs the cause and exits. Called on librdkafka's threads (log events) or
// the service's (error events): _Exit because the main thread may be inside
// a blocking librdkafka call, and because nothing may run on half-torn-down
// clients. Nothing is lost: a transaction that cannot reach the broker never
// commits, and a restart resumes from the last commit as after a crash.
[[noreturn]] void exit_on_credential_failure(const std::string& client, const std::string& cause,
                                             const std::string& detail) {
  const bool old_scram = contains(detail, "SCRAM") && RdKafka::version() < kScramFixedVersion;
  const std::string version = RdKafka::version_str();
  if (old_scram) {
    log(LogLevel::error, "Kafka refused to connect: " + cause + "; exiting",
        {{"client", client},
         {"detail", detail},
         {"librdkafka", version},
         {"hint",
          "librdkafka before 2.6.1 cannot authenticate with SCRAM to Apache Kafka 4.x brokers "
          "(librdkafka#4895): such brokers refuse even the right password"}});
  } else {
    log(LogLevel::error, "Kafka refused to connect: " + cause + "; exiting",
        {{"client", client}, {"detail", detail}, {"librdkafka", version}});
  }
  std::_Exit(kExitFatal);
}

}  // namespace

std::optional<std::string> credential_failure(RdKafka::ErrorCode err, const std::string& detail) {
  // Lost connections also surface during a handshake; they are retried.
  for (const char* transient : {"Disconnected", "transport failure", "timed out",
                                "Connection reset", "Connection refused"}) {
    if (contains(detail, transient)) return std::nullopt;
  }
  if (err == RdKafka::ERR__AUTHENTICATION || err == RdKafka::ERR_SASL_AUTHENTICATION_FAILED ||
      contains(detail, "SASL authentication error")) {
    return std::string(
        "SASL authentication failed (check sasl.mechanism, sasl.username, sasl.password)");
  }
  if (err == RdKafka::ERR__SSL || contains(detail, "SSL handshake failed")) {
    if (contains(detail, "certificate verify failed")) {
      return std::string(
          "the broker's TLS certificate is not trusted or does not match its host name (check "
          "ssl.ca.location)");
    }
    // The broker refused the client's certificate (mutual TLS).
    for (const char* refused : {"alert bad certificate", "alert unknown ca",
                                "alert certificate required", "alert certificate expired"}) {
      if (contains(detail, refused)) {
        return std::string(
            "the broker refused this client's TLS certificate (check ssl.certificate.location, "
            "ssl.key.location)");
      }
    }
  }
  return std::nullopt;
}

void EventLogger::event_cb(RdKafka::Event& event) {
  switch (event.type()) {
    case RdKafka::Event::EVENT_ERROR:
      if (auto cause = credential_failure(event.err(), event.str()))
        exit_on_credential_failure(client_, *cause, event.str());
      // Transport errors while a broker restarts are routine; librdkafka
      // retries them. Fatal ones are acted on where the API reports them.
      log(event.fatal() ? LogLevel::error : LogLevel::warning, "kafka client error",
          {{"client", client_}, {"error", RdKafka::err2str(event.err())}, {"detail", event.str()}});
      break;
    case RdKafka::Event::EVENT_LOG: {
      const int severity = event.severity();
      // Connection failures are logged (facility FAIL) on the broker thread
      // at once, before the error event reaches a poll() of this client.
      if (event.fac() == "FAIL") {
        if (auto cause = credential_failure(RdKafka::ERR_NO_ERROR, event.str()))
          exit_on_credential_failure(client_, *cause, event.str());
      }
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
      // A failed transaction ("TXNERR") is recovered by the service: it aborts,
      // rewinds to the last commit and retries the batch, logging "transaction
      // aborted"; a fatal one ends in "fatal Kafka error". librdkafka's own line
      // is context for those, not an error of its own.
      if (event.fac() == "TXNERR") {
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
