// The Kafka shell around the delivery engine (adapter/delivery): one thread,
// one io_context, one consumer group per channel kind. It reads an input
// topic (read_committed), turns each record into jobs, feeds the engine and
// carries out its commands: attempts on the channels, writes to the
// compacted pending topic (co-partitioned with the input), dead letters,
// announcements; and commits an input offset only past records whose every
// job is delivered, pending durably or dead-lettered (docs/decisions/0010, 0042).
// The webhook dispatcher and the GOV.UK Notify sender are two such shells.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapter/delivery/channel.h"
#include "adapter/delivery/delivery_engine.h"
#include "adapter/runtime/service_config.h"

namespace crp::admin {
class MetricsRegistry;
}

namespace crp::webhooks {

// What one input record asks for.
struct ShellInput {
  std::vector<delivery::Job> jobs;
  std::optional<std::string> enable_partner;  // an operator's "enable this partner" record
  std::string problem;                        // the record cannot be delivered (logged, skipped)
};

// A record the shell writes after a job was delivered (Notify's notification id).
struct ShellOutput {
  std::string topic, key, value;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct ShellSpec {
  std::string name;  // "webhooks", "notify": consumer group suffix, client ids
  std::string noun;  // "webhook", "notification": log messages ("<noun> delivery dead-lettered")
  std::string component;  // "webhook dispatcher", "Notify sender": start and stop log messages
  std::string input_topic;
  const char* input_pointer = "";  // the config key naming it, for errors
  std::string pending_topic;
  const char* pending_pointer = "";
  std::string operations_topic;  // partner.disabled events
  const char* operations_pointer = "";
  std::string dlq_class;      // __connect.errors.exception.class.name of its dead letters
  std::string header_prefix;  // "crp.webhook.": partner, id, attempts, status headers
  std::string metric_prefix;  // "crp_webhook_": attempts, delivered, failures, ... per partner
  std::map<std::string, delivery::PartnerPolicy> policies;
  std::chrono::milliseconds longest_timeout{10'000};  // of one attempt: how long stop() waits
  std::function<std::map<std::string, std::unique_ptr<delivery::Channel>>(boost::asio::io_context&)>
      make_channels;
  std::function<ShellInput(const std::string& key, const std::string& value)> read;
  // The operations event for a disabled partner; empty: none.
  std::function<std::string(const std::string& partner, int status, const std::string& reason)>
      disabled_event;
  // A record to write once a job is delivered; nullopt: none.
  std::function<std::optional<ShellOutput>(const delivery::Job&, const delivery::Outcome&)>
      on_delivered;
};

class DeliveryShell {
 public:
  // `metrics` may be null. Nothing touches the network before start().
  DeliveryShell(const ServiceConfig& config, ShellSpec spec, admin::MetricsRegistry* metrics);
  ~DeliveryShell();  // stop()s
  DeliveryShell(const DeliveryShell&) = delete;
  DeliveryShell& operator=(const DeliveryShell&) = delete;

  // Checks the topics and builds the channels (throws on the caller's
  // thread), then starts the shell's thread.
  void start();
  // Stops consuming, lets attempts in flight finish (the longest timeout at
  // most), writes whatever is not yet durable to the pending topic, commits,
  // and joins the thread. Idempotent.
  void stop();
  // True once the thread stopped on an error (logged; SIGTERM raised so the
  // service stops too and a supervisor restarts the process).
  bool failed() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace crp::webhooks
