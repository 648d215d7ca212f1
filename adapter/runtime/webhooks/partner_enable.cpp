#include "adapter/runtime/webhooks/partner_enable.h"

#include <rapidjson/document.h>

#include <stdexcept>

#include "adapter/infra/kafka/acknowledged_producer.h"
#include "adapter/infra/kafka/event_logger.h"
#include "adapter/json/json.h"
#include "adapter/runtime/webhooks/kafka_clients.h"

namespace crp::webhooks {
namespace {

constexpr const char* kEnablePrefix = "{\"enable_partner\":";

}  // namespace

std::string enable_value(const std::string& partner_id) {
  return kEnablePrefix + json::to_string(rapidjson::Value(rapidjson::StringRef(partner_id))) + "}";
}

std::optional<std::string> parse_enable(const std::string& value, std::string& problem) {
  problem.clear();
  if (value.rfind(kEnablePrefix, 0) != 0) return std::nullopt;
  rapidjson::Document doc;
  if (!json::parse(value, doc, problem) || !doc.IsObject() || !doc.HasMember("enable_partner") ||
      !doc["enable_partner"].IsString()) {
    if (problem.empty()) problem = "enable record is not {\"enable_partner\": \"<partner id>\"}";
    return std::nullopt;
  }
  return std::string(doc["enable_partner"].GetString());
}

int enable_partner(const ServiceConfig& config, const std::string& partner, std::ostream& out,
                   std::ostream& err) {
  if (!config.webhooks.partners || !config.webhooks.partners->find(partner)) {
    err << "crp-adapter: partner '" << partner << "' is not configured in " << config.file << "\n";
    return 2;
  }
  kafka::EventLogger events("webhooks-enable");
  kafka::AcknowledgedProducer producer(
      client_conf(config, {{"client.id", "crp-adapter-webhooks-enable"}}, &events));
  const std::int32_t partitions = prepare_webhook_topics(config, producer.handle());
  const std::string value = enable_value(partner);
  for (std::int32_t p = 0; p < partitions; ++p)
    producer.produce(config.topics.partner_outbox, p, partner, value);
  producer.flush("enable records");
  out << "partner " << partner << " enabled: an enable record on each of the " << partitions
      << " partitions of " << config.topics.partner_outbox << "\n";
  return 0;
}

}  // namespace crp::webhooks
