#include "adapter/app/run_command.h"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <optional>

#include "adapter/app/admin_endpoint.h"
#include "adapter/infra/kafka/json_log.h"
#include "adapter/infra/kafka/test_hooks.h"
#include "adapter/json/json.h"
#include "adapter/runtime/admin/calendar_metrics.h"
#include "adapter/runtime/admin/process_metrics.h"
#include "adapter/runtime/kafka/exactly_once_service.h"
#include "adapter/runtime/webhooks/dispatcher.h"
#include "adapter/runtime/webhooks/notify_receipts.h"
#include "adapter/runtime/webhooks/notify_sender.h"

namespace crp::kafka {

std::string instance_name(const ServiceConfig& config, const std::string& override) {
  if (!override.empty()) return override;
  // ServiceConfig does not carry service.instance; it is read here, once.
  rapidjson::Document doc = json::parse_file(config.file);
  if (doc.HasMember("service") && doc["service"].HasMember("instance"))
    return doc["service"]["instance"].GetString();
  if (const char* host = std::getenv("HOSTNAME"); host && *host) return host;
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0 && name[0]) return name;
  return "local";
}

int run_service(const ServiceConfig& config, const std::string& instance_override) {
  // A release binary never shifts its clock or aborts on purpose: a test
  // variable set for it is a mistake to stop at, not to ignore (test_hooks.h).
  try {
    read_test_hooks();
  } catch (const TestHooksRefused& e) {
    log(LogLevel::error, "refusing to start: test hook variables are set",
        {{"detail", e.what()}, {"variables", e.variables().size()}});
    return kExitTestHooksRefused;
  }
  const std::string transactional_id = config.transactional_id_prefix + "-" + config.group_id +
                                       "-" + instance_name(config, instance_override);
  try {
    admin::MetricsRegistry metrics;  // outlives everything that counts into it
    admin::register_process_metrics(metrics);
    boost::asio::io_context io;
    ExactlyOnceService service(config, io, transactional_id, metrics);
    // Scraped on the service's thread (the admin poll), as the calendar is reloaded.
    admin::register_calendar_metrics(metrics, [&service] { return service.calendar(); });
    // GOV.UK Notify's permanent failures, written from the admin route (decision 0049).
    std::optional<webhooks::NotifyReceiptWriter> receipts;
    if (config.notify.enabled() && config.notify.callback_token) receipts.emplace(config);
    admin::NotifyCallback::Sink notify_sink;
    if (receipts)
      notify_sink = [&receipts](const notify::Receipt& r) { return receipts->write(r); };
    // On this thread, polled by the service.
    AdminEndpoint admin(config, service, metrics, std::move(notify_sink));
    service.set_idle_hook([&admin] { admin.poll(); });
    // Partner webhooks on their own thread (docs/decisions/0010): stopped
    // after the service, so the last outbox records are still delivered.
    std::optional<webhooks::Dispatcher> dispatcher;
    if (config.webhooks.dispatching()) {
      dispatcher.emplace(config, &metrics);  // webhook metrics per partner on /metrics
      dispatcher->start();
    }
    // The email topic to GOV.UK Notify, on its own thread (decision 0049).
    std::optional<webhooks::NotifySender> notify_sender;
    if (config.notify.enabled()) {
      notify_sender.emplace(config, &metrics);
      notify_sender->start();
    }
    service.run();
    if (dispatcher) dispatcher->stop();
    if (notify_sender) notify_sender->stop();
    if ((dispatcher && dispatcher->failed()) || (notify_sender && notify_sender->failed()))
      return kExitFatal;
    return 0;
  } catch (const FatalKafkaError& e) {
    if (e.fenced()) {
      log(LogLevel::error,
          "producer fenced: another instance took over transactional.id " + transactional_id,
          {{"transactional_id", transactional_id}, {"detail", e.what()}});
      return kExitFenced;
    }
    log(LogLevel::error, "fatal Kafka error",
        {{"transactional_id", transactional_id}, {"detail", e.what()}});
    return kExitFatal;
  } catch (const json::ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    log(LogLevel::error, "stopped on an error", {{"detail", e.what()}});
    return kExitFatal;
  }
}

}  // namespace crp::kafka
