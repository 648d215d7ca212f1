// The requests crp-adapter would POST to partners, signed by its own code, for
// tests/partners/verify_example_test.py (the verifier of docs/partners.md).
//   signed_requests CONFIG [AGE_SECONDS] < REPLAY_OUTPUT.jsonl
// For each partner-outbox record in `crp-adapter replay` output: the deliveries
// fan_out makes of it, each as make_request builds the attempt (webhook-id,
// webhook-timestamp = now - AGE_SECONDS, webhook-signature with every key of
// the partner), one JSON line {"partner","headers":{...},"body":"..."}.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <ctime>
#include <iostream>
#include <string>

#include "adapter/runtime/service_config.h"
#include "connectors/webhooks/delivery.h"
#include "connectors/webhooks/https_client.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: signed_requests CONFIG [AGE_SECONDS] < REPLAY_OUTPUT.jsonl\n";
    return 2;
  }
  const crp::ServiceConfig config = crp::load_service_config(argv[1], crp::Secrets::resolve);
  const std::int64_t now =
      static_cast<std::int64_t>(std::time(nullptr)) - (argc > 2 ? std::stoll(argv[2]) : 0);
  const std::string prefix = "{\"topic\":\"" + config.topics.partner_outbox + "\",";
  const std::string marker = ",\"value\":";
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    // replay prints "value" last, as the record's own bytes: cut them out exactly.
    const auto at = line.find(marker);
    if (at == std::string::npos || line.back() != '}') return 1;
    const std::string value = line.substr(at + marker.size(), line.size() - at - marker.size() - 1);
    for (const auto& d : crp::webhooks::fan_out(value, *config.webhooks.partners, config.source)) {
      const crp::webhooks::Partner& partner = *config.webhooks.partners->find(d.partner_id);
      const crp::webhooks::OutgoingRequest r =
          crp::webhooks::make_request(partner, d.webhook_id, now, d.body);
      rapidjson::StringBuffer b;
      rapidjson::Writer<rapidjson::StringBuffer> w(b);
      w.StartObject();
      w.Key("partner"), w.String(d.partner_id);
      w.Key("headers");
      w.StartObject();
      for (const auto& [k, v] : r.headers) w.Key(k.c_str()), w.String(v);
      w.EndObject();
      w.Key("body"), w.String(r.body);
      w.EndObject();
      std::cout << b.GetString() << "\n";
    }
  }
  return 0;
}
