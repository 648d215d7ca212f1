// The service configuration (schemas/service-config.schema.json): which
// protocols run, where inputs come from, where outputs go.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapter/engine/protocol_set.h"
#include "connectors/source.h"

namespace crp {

struct Topics {
  std::string escalations = "crp.escalations";
  std::string email = "crp.notifications.email";
  std::string casenotes = "crp.casenotes";
  std::string partner_outbox = "crp.partners.outbox";
  std::string dlq = "crp.dlq";
  std::string changelog = "crp.state.changelog";
};

struct Input {
  std::string topic;
  std::string connector;
  std::shared_ptr<const connectors::SourceConnector> source;  // built from the entry
};

struct ServiceConfig {
  std::string file;  // where it was loaded from
  std::string source = "urn:crp-adapter";
  std::shared_ptr<const ProtocolSet> protocols;
  std::vector<Input> inputs;
  Topics topics;
  std::map<std::string, std::string> email_templates;  // template key -> Notify template id
  std::string case_link;                               // "{case_id}" replaced
  std::map<std::string, std::string> role_emails;      // role -> mailbox
  std::map<std::string, std::string> kafka;            // secrets already resolved
  int commit_interval_ms = 100;
  int max_batch = 1000;
  bool create_topics = false;
  std::string group_id = "crp-adapter";
  std::string transactional_id_prefix = "crp-adapter";
  bool event_clock = false;  // runtime.clock == "event"
};

// Loads, validates and resolves the whole configuration, protocols included.
// Throws json::ConfigError naming the file, the JSON pointer and the reason.
ServiceConfig load_service_config(const std::string& path);

}  // namespace crp
