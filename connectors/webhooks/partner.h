// A partner agency that receives signed webhooks (config/partners/*.json,
// schemas/partner.schema.json). Only these configured endpoints are ever
// called: no URL is ever taken from an event.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapter/delivery/policy.h"

namespace crp::webhooks {

struct Endpoint {
  std::string scheme;  // "https" ("http" only with allow_insecure_loopback and a loopback host)
  std::string host;
  std::string port;    // "443" when the URL has none
  std::string target;  // path and query, "/" at least
};

// The retry schedule and circuit breaker are the delivery engine's
// (adapter/delivery/policy.h); a partner file sets them per partner.
using delivery::CircuitBreaker;
using delivery::RetryPolicy;
using delivery::standard_retry_schedule;

// Which partner decisions a partner hears of. An empty set matches everything.
struct Subscription {
  std::set<std::string> routes;       // engine partner routes, e.g. "bscp", "rscp_business_unit"
  std::set<std::string> event_types;  // e.g. "challenge.stage_started"
  std::set<std::string> protocols;
  std::set<std::string> stages;
  std::set<std::string> agencies;  // the agency challenged / concerned
};

struct Partner {
  std::string id;    // also the webhook topic suffix in replay: "webhook:<id>"
  std::string kind;  // health | police | education | safeguarding_partnership | local_authority
  std::string url;
  Endpoint endpoint;
  // Raw HMAC keys (decoded from "whsec_<base64>"), newest first. Every key
  // signs, so receivers keep verifying during a rotation.
  std::vector<std::string> secrets;
  Subscription subscription;
  std::set<std::string> allowed_fields;  // members of the CloudEvent `data` a partner may receive
  std::chrono::milliseconds timeout{10'000};
  int max_in_flight = 8;
  double rate_limit_per_s = 0;  // 0: unlimited
  RetryPolicy retry;
  CircuitBreaker breaker;
  std::string ca_file;  // custom CA bundle; empty: the system's
  bool allow_insecure_loopback = false;
};

struct PartnerRegistry {
  std::vector<Partner> partners;
  const Partner* find(const std::string& id) const {
    for (const auto& p : partners)
      if (p.id == id) return &p;
    return nullptr;
  }
};

// Loads every *.json file in `dir` (sorted by name), validating each against
// schemas/partner.schema.json and resolving secret references (file or
// environment variable). Throws json::ConfigError(file, pointer, reason).
// Relative `file` secrets and `ca_file` are resolved against the partner file's directory.
// With `resolve_secrets` false (e.g. `replay`, which prints bodies but signs
// nothing) secret references are validated by the schema only and
// Partner::secrets stays empty.
PartnerRegistry load_partners(const std::string& dir, bool resolve_secrets = true);

// One partner file (the same checks, except duplicate ids across files).
Partner load_partner_file(const std::string& path, bool resolve_secrets = true);

// Parses an endpoint URL ("https://host[:port][/path][?query]", IPv6 hosts in
// brackets); nullopt with `error` set when it is not one.
std::optional<Endpoint> parse_endpoint(const std::string& url, std::string& error);

}  // namespace crp::webhooks
