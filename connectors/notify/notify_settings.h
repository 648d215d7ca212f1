// What the GOV.UK Notify sender needs from the service config (the `notify`
// block, docs/decisions/0049), without the config itself: connectors depend
// on these narrow settings, never on adapter/runtime.
#pragma once

#include <chrono>
#include <string>

#include "connectors/webhooks/partner.h"

namespace crp::notify {

inline constexpr const char* kDefaultBaseUrl = "https://api.notifications.service.gov.uk";
inline constexpr const char* kEmailPath = "/v2/notifications/email";
// The channel's one partner id: lanes, metrics and pending keys ("notify/<reference>").
inline constexpr const char* kChannelId = "notify";

struct NotifySettings {
  bool enabled = false;  // a `notify` block is present: `run` sends the email topic
  std::string base_url = kDefaultBaseUrl;
  webhooks::Endpoint endpoint;  // base_url + kEmailPath, parsed when the config is loaded
  int rate_limit_per_minute = 3000;
  std::chrono::milliseconds timeout{10'000};
  int max_in_flight = 8;
  std::string ca_file;         // custom CA bundle (tests); empty: the system's
  std::string fallback_email;  // told of permanent failures; empty: nobody
  std::string service_id;      // the API key's must equal it; empty: not checked
  std::string pending_topic = "crp.notifications.pending";
};

}  // namespace crp::notify
