// The service configuration (schemas/service-config.schema.json): which
// protocols run, where inputs come from, where outputs go.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapter/core/secret.h"
#include "adapter/engine/agency_codes.h"
#include "adapter/engine/protocol_set.h"
#include "adapter/json/json.h"
#include "connectors/email/email_settings.h"
#include "connectors/notify/notify_settings.h"
#include "connectors/source.h"
#include "connectors/webhooks/partner.h"

namespace crp {

struct Topics {
  std::string escalations = "crp.escalations";
  std::string email = "crp.notifications.email";
  std::string casenotes = "crp.casenotes";
  std::string partner_outbox = "crp.partners.outbox";
  std::string dlq = "crp.dlq";
  std::string changelog = "crp.state.changelog";
  std::string facts = "crp.facts";  // closed-challenge facts for the board report
};

// Partner webhooks (the `webhooks` block; docs/decisions/0010).
struct WebhookSettings {
  std::shared_ptr<const webhooks::PartnerRegistry> partners;  // null: no `webhooks.partners`
  std::string partners_dir;
  std::string pending_topic = "crp.partners.pending";
  std::string operations_topic = "crp.operations";
  bool enabled = true;  // false: `run` calls no partner; replay still prints the calls
  bool dispatching() const { return enabled && partners && !partners->partners.empty(); }
};

// GOV.UK Notify (the `notify` block; docs/decisions/0049). Present: `run`
// sends every email record to Notify and takes its delivery receipts.
struct NotifyConfig {
  notify::NotifySettings sender;
  SecretSource api_key;                        // read where it is used: `run`, check-config
  std::optional<SecretSource> callback_token;  // absent: no /notify/callback route
  bool enabled() const { return sender.enabled; }
};

// The admin HTTP server (the `admin` block; docs/decisions/0018). Absent
// block: no server (replay, check-config and older configs need none).
struct AdminSettings {
  bool enabled = false;
  std::string host = "0.0.0.0";  // from `bind`, "HOST:PORT"; port 0 = any free port (tests)
  std::uint16_t port = 8080;
  std::string token_file;  // resolved path; read at startup. Empty: every /v1 call is refused
  std::size_t max_request_bytes = 8192;
  int rate_limit_per_s = 20;  // per client address; bursts up to twice that
};

struct Input {
  std::string topic;
  std::string connector;
  std::shared_ptr<const connectors::SourceConnector> source;  // built from the entry
};

struct ServiceConfig {
  std::string file;           // where it was loaded from
  std::string calendar_file;  // the bank-holidays.json it read (resolved path)
  std::string calendar_text;  // its content, as the protocols' calendars were read from it
  std::string source = "urn:crp-adapter";
  std::shared_ptr<const ProtocolSet> protocols;
  std::vector<Input> inputs;
  Topics topics;
  WebhookSettings webhooks;
  NotifyConfig notify;
  AdminSettings admin;
  connectors::email::EmailSettings email;    // templates, case link, role directory
  AgencyCodes agencies;                      // agency text -> code (`agencies.file`)
  std::map<std::string, std::string> kafka;  // secrets already resolved
  int commit_interval_ms = 100;
  // runtime.commit: "adaptive" (default) also ends a batch when no more input
  // is already fetched; "interval" waits for max_batch or commit_interval_ms.
  bool adaptive_commit = true;
  int max_batch = 1000;
  bool create_topics = false;
  std::string group_id = "crp-adapter";
  std::string transactional_id_prefix = "crp-adapter";
  bool event_clock = false;  // runtime.clock == "event"
  std::chrono::milliseconds closed_retention{
      std::chrono::hours(24 * 30)};  // runtime.closed_retention_days
  // runtime.memory_limit_mib: resident memory above which newly assigned
  // partitions are refused rather than restored (docs/decisions/0031). Absent: none.
  std::optional<std::uint64_t> memory_limit_mib;
  // runtime.dead_letter_retention_days: the DLQ topic's retention.ms when the
  // service creates it (docs/decisions/0045).
  std::chrono::milliseconds dead_letter_retention{std::chrono::hours(24 * 7)};
  // `limits`: what one input record may be (docs/decisions/0035). Loading a
  // config makes them the process's json::record_limits().
  json::Limits record_limits = json::kRecordLimits;
};

// Loads, validates and resolves the whole configuration, protocols included.
// Throws json::ConfigError naming the file, the JSON pointer and the reason.
// Partner signing keys are read only where they are used: `run` and
// `check-config` ask for them; replay, report and the tests do not sign.
// `offline` (check-config --offline) reads no secret at all: neither the
// partners' keys nor the Kafka properties given as {"file"} or {"env"}, which
// are then absent from `kafka`.
enum class Secrets { resolve, skip, offline };
ServiceConfig load_service_config(const std::string& path, Secrets secrets = Secrets::skip);

// The same protocols with working calendars from `calendar_text`, a changed
// bank-holidays file (docs/decisions/0060). Throws json::ConfigError naming
// the file, the division's JSON pointer and the reason when a division the
// protocols use cannot be read from it; nothing changes then.
std::shared_ptr<const ProtocolSet> with_calendar(const ProtocolSet& current,
                                                 std::string_view calendar_text,
                                                 const std::string& calendar_file);

// A calendar division whose published bank holidays end less than a year after
// `now`: later deadlines rest on provisional holidays from the statutory rules,
// which miss any one-off holiday (docs/decisions/0039). `check-config` and `run`
// warn about each, so the file is refreshed from GOV.UK in time.
struct CalendarRunningOut {
  std::string division;
  std::chrono::sys_days published_until;
  std::chrono::days days_left;  // negative once published_until has passed
};
std::vector<CalendarRunningOut> calendars_running_out(const ServiceConfig& config, Instant now);
// One line for people: division, last published date, days left, what to do.
std::string describe(const CalendarRunningOut& c, const std::string& calendar_file);

}  // namespace crp
