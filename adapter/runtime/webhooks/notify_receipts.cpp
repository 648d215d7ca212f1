#include "adapter/runtime/webhooks/notify_receipts.h"

#include <stdexcept>
#include <vector>

#include "adapter/infra/kafka/json_log.h"
#include "adapter/runtime/webhooks/kafka_clients.h"

namespace crp::webhooks {
namespace {

// The template of the fallback email: `email.templates.delivery_failed`, or a
// visibly unconfigured id, as for every other kind.
std::string fallback_template(const ServiceConfig& config) {
  auto it = config.email.templates.find("delivery_failed");
  return it != config.email.templates.end() ? it->second : "crp:delivery_failed";
}

}  // namespace

NotifyReceiptWriter::NotifyReceiptWriter(const ServiceConfig& config)
    : config_(config), template_id_(fallback_template(config)), events_("notify-receipts") {
  std::string error;
  kafka::ConfPtr conf = client_conf(config,
                                    {{"client.id", "crp-adapter-notify-receipts"},
                                     {"enable.idempotence", "true"},
                                     {"acks", "all"},
                                     {"linger.ms", "0"}},
                                    &events_);
  if (conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(this), error) !=
      RdKafka::Conf::CONF_OK)
    throw std::logic_error(error);
  producer_.reset(RdKafka::Producer::create(conf.get(), error));
  if (!producer_) throw std::runtime_error("cannot create the Notify receipts producer: " + error);
}

void NotifyReceiptWriter::dr_cb(RdKafka::Message& m) {
  if (m.err() != RdKafka::ERR_NO_ERROR) ++failed_;
}

bool NotifyReceiptWriter::write(const notify::Receipt& r, std::chrono::milliseconds wait) {
  const Instant now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  const std::string key = notify::reference_challenge(r.reference);
  struct Out {
    const std::string* topic;
    std::string value;
    bool cloud_event;
  };
  std::vector<Out> out;
  out.push_back(
      {&config_.webhooks.operations_topic, notify::failed_event(config_.source, r, now), true});
  const std::string& mailbox = config_.notify.sender.fallback_email;
  if (!mailbox.empty() && !notify::is_fallback(r.reference))
    out.push_back({&config_.topics.email, notify::fallback_email(r, template_id_, mailbox), false});
  failed_ = 0;
  for (Out& o : out) {
    RdKafka::Headers* h = nullptr;
    if (o.cloud_event) {
      h = RdKafka::Headers::create();
      h->add("content-type", "application/cloudevents+json");
    }
    const RdKafka::ErrorCode err =
        producer_->produce(*o.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                           o.value.data(), o.value.size(), key.data(), key.size(), 0, h, nullptr);
    if (err != RdKafka::ERR_NO_ERROR) {
      delete h;  // on failure the headers stay ours
      ++failed_;
    }
  }
  const bool flushed = producer_->flush(static_cast<int>(wait.count())) == RdKafka::ERR_NO_ERROR;
  const bool ok = flushed && failed_ == 0;
  // Reference and status only: the receipt's `to` is an address, never logged.
  kafka::log(ok ? kafka::LogLevel::warning : kafka::LogLevel::error,
             ok ? "Notify reported a permanent failure; recorded"
                : "Notify reported a permanent failure; it could not be recorded",
             {{"reference", r.reference}, {"notification_id", r.id}, {"fallback", out.size() > 1}});
  return ok;
}

}  // namespace crp::webhooks
