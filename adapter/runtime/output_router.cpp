#include "adapter/runtime/output_router.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <type_traits>

#include "connectors/casenotes/case_note.h"
#include "connectors/email/notify_email.h"
#include "connectors/facts/fact_mapping.h"

namespace crp {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void field(Writer& w, const char* k, const std::string& v) {
  if (v.empty()) return;
  w.Key(k);
  w.String(v);
}

// Common fields of every escalation value (challenge_id, case_id,
// protocol, occurred_at), then the type's own.
std::string lifecycle_value(const Effect& e, const LifecycleEvent& ev, Instant occurred_at) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  field(w, "type", ev.type);
  field(w, "challenge_id", e.challenge_id);
  field(w, "case_id", e.case_id);
  field(w, "protocol", e.protocol);
  field(w, "track", e.track);
  field(w, "agency", e.agency);
  field(w, "occurred_at", format_iso8601(occurred_at));
  field(w, "from_stage", ev.from_stage);
  field(w, "stage", ev.stage);
  field(w, "stage_label", ev.stage_label);
  field(w, "reason", ev.reason);
  field(w, "outcome", ev.outcome);
  field(w, "duty", ev.duty);
  field(w, "duty_label", ev.duty_label);
  if (ev.due_at) field(w, "due_at", format_iso8601(*ev.due_at));
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

void copy_trace(const Record* input, Record& r) {
  if (!input) return;
  if (const std::string* tp = input->header("traceparent"))
    r.headers.push_back({"traceparent", *tp});
  if (const std::string* ts = input->header("tracestate")) r.headers.push_back({"tracestate", *ts});
}

}  // namespace

void OutputRouter::route(const Effect& e, const Engine& engine, const Record* input,
                         std::vector<Record>& out) const {
  std::visit(
      [&](const auto& what) {
        using T = std::decay_t<decltype(what)>;
        if constexpr (std::is_same_v<T, LifecycleEvent>) {
          const Instant occurred = what.occurred_at;
          Record r{
              config_.topics.escalations, e.challenge_id, {}, lifecycle_value(e, what, occurred)};
          r.headers = {{"ce_specversion", "1.0"},
                       {"ce_id", e.id()},
                       {"ce_source", config_.source + "/" + e.protocol},
                       {"ce_type", "uk.gov.crp." + what.type},
                       {"ce_subject", e.challenge_id},
                       {"ce_time", format_iso8601(occurred)},
                       {"content-type", "application/json"}};
          copy_trace(input, r);
          out.push_back(std::move(r));
          route_facts(e, what, engine, out);
        } else if constexpr (std::is_same_v<T, NotificationDecision>) {
          const Challenge* c = engine.find(e.challenge_id);
          std::vector<connectors::email::EmailRecord> emails;
          std::vector<connectors::email::Unresolved> unresolved;
          connectors::email::map(e, what, config_, c, emails, unresolved);
          for (auto& m : emails) {
            Record r{config_.topics.email, e.challenge_id, {}, std::move(m.value)};
            copy_trace(input, r);
            out.push_back(std::move(r));
          }
          for (const auto& u : unresolved) {
            const std::string why = "no email address for role '" + u.role + "' (" +
                                    what.template_key +
                                    (u.agency.empty() ? "" : ", agency " + u.agency) + ")";
            // With the input that caused it, so a person can resend it once
            // the directory has the mailbox; a deadline has no input record.
            if (input) {
              out.push_back(dead_letter(*input, "crp.UnresolvedRecipient", why));
              continue;
            }
            Record r{config_.topics.dlq,
                     e.challenge_id,
                     {},
                     "{\"reference\":\"" + e.id() + ":" + u.role + "\"}"};
            r.headers = {{"__connect.errors.exception.class.name", "crp.UnresolvedRecipient"},
                         {"__connect.errors.exception.message", why}};
            out.push_back(std::move(r));
          }
        } else if constexpr (std::is_same_v<T, CaseNoteDecision>) {
          const ProtocolRuntime* rt = config_.protocols->find(e.protocol);
          Record r{config_.topics.casenotes,
                   e.challenge_id,
                   {},
                   connectors::casenotes::map(e, what, rt->protocol, engine.find(e.challenge_id))};
          copy_trace(input, r);
          out.push_back(std::move(r));
        } else if constexpr (std::is_same_v<T, PartnerDecision>) {
          rapidjson::StringBuffer b;
          Writer w(b);
          w.StartObject();
          field(w, "route", what.route);
          field(w, "delivery_id", e.id());
          field(w, "type", what.event_type);
          field(w, "challenge_id", e.challenge_id);
          field(w, "case_id", e.case_id);
          field(w, "protocol", e.protocol);
          field(w, "agency", config_.agencies.code_of(e.agency).code);
          field(w, "stage", what.stage);
          field(w, "stage_label", what.stage_label);
          if (what.due_at) field(w, "due_at", format_iso8601(*what.due_at));
          field(w, "occurred_at", format_iso8601(e.at));
          w.EndObject();
          Record r{config_.topics.partner_outbox,
                   e.challenge_id,
                   {},
                   std::string(b.GetString(), b.GetSize())};
          copy_trace(input, r);
          out.push_back(std::move(r));
        } else if constexpr (std::is_same_v<T, DlqDecision>) {
          if (input) out.push_back(dead_letter(*input, what.error_class, what.message));
        }
      },
      e.what);
}

// The board report's facts of every stage, in the same transaction as the
// lifecycle event they come from (the engine already holds the challenge as
// the event left it, history included).
void OutputRouter::route_facts(const Effect& e, const LifecycleEvent& event, const Engine& engine,
                               std::vector<Record>& out) const {
  const ProtocolRuntime* rt = config_.protocols->find(e.protocol);
  if (!rt) return;
  auto agency_code = [&](std::string_view text) { return config_.agencies.code_of(text).code; };
  for (std::string& value :
       connectors::facts::facts_of(e, event, engine.find(e.challenge_id), *rt, agency_code)) {
    out.push_back(Record{config_.topics.facts,
                         e.challenge_id,
                         {{"content-type", "application/json"}},
                         std::move(value)});
  }
}

Record OutputRouter::dead_letter(const Record& input, const std::string& error_class,
                                 const std::string& message) const {
  // The original record whole (its headers too: a binary-mode CloudEvent's
  // attributes are only there), except headers posing as ours: the reason a
  // reader finds under __connect.errors.* must be the service's, never text
  // from the input (docs/decisions/0045).
  Record r{config_.topics.dlq, input.key, {}, input.value};
  for (const auto& h : input.headers) {
    if (!h.key.starts_with("__connect.errors.")) r.headers.push_back(h);
  }
  r.headers.push_back({"__connect.errors.topic", input.topic});
  r.headers.push_back({"__connect.errors.partition", std::to_string(input.partition)});
  r.headers.push_back({"__connect.errors.offset", std::to_string(input.offset)});
  r.headers.push_back({"__connect.errors.exception.class.name", error_class});
  r.headers.push_back({"__connect.errors.exception.message", message});
  return r;
}

}  // namespace crp
