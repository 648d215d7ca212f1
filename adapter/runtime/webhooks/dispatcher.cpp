// The webhook dispatcher: the delivery shell (delivery_shell.h) with signed
// webhooks as its channel. This file only says what is webhook-specific: the
// outbox record's fan-out to subscribed partners, redelivery and enable
// records, the partner.disabled CloudEvent, and the metric and header names.
#include "adapter/runtime/webhooks/dispatcher.h"

#include "adapter/runtime/webhooks/delivery_shell.h"
#include "adapter/runtime/webhooks/partner_enable.h"
#include "adapter/runtime/webhooks/redelivery.h"
#include "connectors/canonical/cloudevents.h"
#include "connectors/webhooks/delivery.h"
#include "connectors/webhooks/webhook_channel.h"

namespace crp::webhooks {
namespace {

// uk.gov.crp.partner.disabled on the operations topic: which partner, why.
std::string disabled_event(const ServiceConfig& config, const Partner& p, int status,
                           const std::string& reason) {
  connectors::canonical::CloudEvent event;
  event.time = format_iso8601(
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
  event.id = "partner.disabled:" + p.id + ":" + event.time;
  event.source = config.source;
  event.type = "uk.gov.crp.partner.disabled";
  event.subject = p.id;
  return connectors::canonical::structured_event(event, [&](connectors::canonical::JsonWriter& w) {
    w.Key("partner_id"), w.String(p.id);
    w.Key("kind"), w.String(p.kind);
    w.Key("host"), w.String(p.endpoint.host);
    w.Key("status"), w.Int(status);
    w.Key("reason"), w.String(reason);
  });
}

ShellSpec webhook_spec(const ServiceConfig& config) {
  ShellSpec s;
  s.name = "webhooks";
  s.noun = "webhook";
  s.component = "webhook dispatcher";
  s.input_topic = config.topics.partner_outbox;
  s.input_pointer = "/topics/partner_outbox";
  s.pending_topic = config.webhooks.pending_topic;
  s.pending_pointer = "/webhooks/pending_topic";
  s.operations_topic = config.webhooks.operations_topic;
  s.operations_pointer = "/webhooks/operations_topic";
  s.dlq_class = "crp.WebhookDeliveryFailed";
  s.header_prefix = "crp.webhook.";
  s.metric_prefix = "crp_webhook_";
  const PartnerRegistry& registry = *config.webhooks.partners;
  for (const Partner& p : registry.partners) {
    s.policies[p.id] = delivery::PartnerPolicy{p.retry, p.breaker};
    s.longest_timeout = std::max(s.longest_timeout, p.timeout);
  }
  s.make_channels = [&registry](boost::asio::io_context& io) {
    std::map<std::string, std::unique_ptr<delivery::Channel>> channels;
    for (const Partner& p : registry.partners)
      channels[p.id] = std::make_unique<WebhookChannel>(io, p);
    return channels;
  };
  s.read = [&config, &registry](const std::string&, const std::string& value) {
    ShellInput in;
    if (std::optional<std::string> partner = parse_enable(value, in.problem)) {
      in.enable_partner = std::move(partner);
    } else if (std::optional<Delivery> again = parse_redelivery(value, in.problem)) {
      in.jobs.push_back(std::move(*again));
    } else if (in.problem.empty()) {
      in.jobs = fan_out(value, registry, config.source);
    }
    return in;
  };
  s.disabled_event = [&config, &registry](const std::string& id, int status,
                                          const std::string& reason) {
    const Partner* p = registry.find(id);
    return p ? disabled_event(config, *p, status, reason) : std::string();
  };
  return s;
}

}  // namespace

struct Dispatcher::Impl {
  Impl(const ServiceConfig& config, admin::MetricsRegistry* metrics)
      : shell(config, webhook_spec(config), metrics) {}
  DeliveryShell shell;
};

Dispatcher::Dispatcher(const ServiceConfig& config, admin::MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(config, metrics)) {}

Dispatcher::~Dispatcher() {
  stop();
}

void Dispatcher::start() {
  impl_->shell.start();
}

void Dispatcher::stop() {
  impl_->shell.stop();
}

bool Dispatcher::failed() const {
  return impl_->shell.failed();
}

}  // namespace crp::webhooks
