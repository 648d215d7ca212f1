// What is Notify-specific about its delivery shell: the email record as a
// job, the channel, the notification.sent record, the metric and header names.
#include "adapter/runtime/webhooks/notify_sender.h"

#include "adapter/runtime/webhooks/delivery_shell.h"
#include "connectors/notify/notify_channel.h"
#include "connectors/notify/notify_records.h"

namespace crp::webhooks {
namespace {

Instant now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

notify::ApiKey read_api_key(const ServiceConfig& config) {
  const Secret key = read_secret(config.notify.api_key, config.file, "/notify/api_key");
  std::string error;
  std::optional<notify::ApiKey> parsed = notify::parse_api_key(key.view(), error);
  if (!parsed) throw json::ConfigError(config.file, "/notify/api_key", error);
  return std::move(*parsed);
}

ShellSpec notify_spec(const ServiceConfig& config, std::shared_ptr<notify::ApiKey> key) {
  const notify::NotifySettings& n = config.notify.sender;
  ShellSpec s;
  s.name = "notify";
  s.noun = "notification";
  s.component = "Notify sender";
  s.input_topic = config.topics.email;
  s.input_pointer = "/topics/email";
  s.pending_topic = n.pending_topic;
  s.pending_pointer = "/notify/pending_topic";
  s.operations_topic = config.webhooks.operations_topic;
  s.operations_pointer = "/webhooks/operations_topic";
  s.dlq_class = "crp.NotifyDeliveryFailed";
  s.header_prefix = "crp.notify.";
  s.metric_prefix = "crp_notify_";
  s.policies[notify::kChannelId] = delivery::PartnerPolicy{};
  s.longest_timeout = std::max(s.longest_timeout, n.timeout);
  s.make_channels = [&n, key](boost::asio::io_context& io) {
    std::map<std::string, std::unique_ptr<delivery::Channel>> channels;
    channels[notify::kChannelId] = std::make_unique<notify::NotifyChannel>(io, n, *key);
    // The channel holds its own copy now; this one is not needed again.
    wipe(key->secret);
    return channels;
  };
  s.read = [](const std::string& key, const std::string& value) {
    ShellInput in;
    if (auto job = notify::email_job(key, value, now_ms(), in.problem))
      in.jobs.push_back(std::move(*job));
    return in;
  };
  s.on_delivered = [&config](const delivery::Job& job, const delivery::Outcome& o) {
    return std::optional<ShellOutput>(
        ShellOutput{config.webhooks.operations_topic,
                    job.challenge_id,
                    notify::sent_event(config.source, job.webhook_id, o.reference, now_ms()),
                    {{"content-type", "application/cloudevents+json"}}});
  };
  return s;
}

}  // namespace

struct NotifySender::Impl {
  Impl(const ServiceConfig& config, admin::MetricsRegistry* metrics)
      : shell(config, notify_spec(config, std::make_shared<notify::ApiKey>(read_api_key(config))),
              metrics) {}
  DeliveryShell shell;
};

NotifySender::NotifySender(const ServiceConfig& config, admin::MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(config, metrics)) {}

NotifySender::~NotifySender() {
  stop();
}

void NotifySender::start() {
  impl_->shell.start();
}

void NotifySender::stop() {
  impl_->shell.stop();
}

bool NotifySender::failed() const {
  return impl_->shell.failed();
}

}  // namespace crp::webhooks
