#include "adapter/runtime/output_router.h"

#include "connectors/casenotes/case_note_sink.h"
#include "connectors/email/email_sink.h"
#include "connectors/escalations/escalation_sink.h"
#include "connectors/facts/fact_sink.h"
#include "connectors/operations/operations_sink.h"
#include "connectors/sink_registry.h"
#include "connectors/webhooks/outbox_sink.h"

namespace crp {
namespace {

void copy_trace(const Record& input, Record& r) {
  if (const std::string* tp = input.header("traceparent"))
    r.headers.push_back({"traceparent", *tp});
  if (const std::string* ts = input.header("tracestate")) r.headers.push_back({"tracestate", *ts});
}

}  // namespace

OutputRouter::OutputRouter(const ServiceConfig& config) : config_(config) {
  const Topics& t = config.topics;
  // In output order: a lifecycle event's escalation comes before its facts.
  sinks_.push_back(
      std::make_unique<connectors::escalations::EscalationSink>(t.escalations, config.source));
  sinks_.push_back(std::make_unique<connectors::facts::FactSink>(t.facts, config.agencies));
  sinks_.push_back(std::make_unique<connectors::email::EmailSink>(t.email, config.email));
  sinks_.push_back(std::make_unique<connectors::casenotes::CaseNoteSink>(
      t.casenotes, connectors::case_note_formats()));
  sinks_.push_back(std::make_unique<webhooks::OutboxSink>(t.partner_outbox, config.agencies));
  sinks_.push_back(std::make_unique<connectors::operations::OperationsSink>(
      config.webhooks.operations_topic, config.source));
}

OutputRouter::~OutputRouter() = default;

void OutputRouter::route(const Effect& e, const Engine& engine, const Record* input,
                         std::vector<Record>& out) const {
  if (const auto* dlq = std::get_if<DlqDecision>(&e.what)) {
    if (input) out.push_back(dead_letter(*input, dlq->error_class, dlq->message));
    return;
  }
  // An effect is about a challenge or, for the drift watchdog, a watched plan.
  const Challenge* challenge = e.challenge_id.empty() ? nullptr : engine.find(e.challenge_id);
  const WatchedPlan* plan = e.plan_id.empty() ? nullptr : engine.watch().find(e.plan_id);
  const connectors::SinkInput in{
      e,
      e.protocol_version > 0 ? engine.protocols().find(e.protocol, e.protocol_version)
                             : engine.protocols().find(e.protocol),
      e.challenge_id.empty() ? connectors::subject_of(plan) : connectors::subject_of(challenge),
      challenge, plan};
  std::vector<connectors::SinkFailure> failures;
  for (const auto& sink : sinks_) {
    const std::size_t first = out.size();
    sink->write(in, out, failures);
    if (input && sink->traced()) {
      for (std::size_t i = first; i < out.size(); ++i) copy_trace(*input, out[i]);
    }
    for (connectors::SinkFailure& f : failures) {
      // With the input that caused it, so a person can resend it once the
      // cause is fixed (a mailbox added); a deadline has no input record.
      if (input) {
        out.push_back(dead_letter(*input, f.error_class, f.message));
        continue;
      }
      Record r{config_.topics.dlq, e.subject(), {}, std::move(f.value)};
      r.headers = {{"__connect.errors.exception.class.name", f.error_class},
                   {"__connect.errors.exception.message", f.message}};
      out.push_back(std::move(r));
    }
    failures.clear();
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
