// The delivery engine's commands, carried out by the shell: attempts on the
// channels, pending records, dead letters, the partner's disabled record and
// event, and the per-partner metrics.
#include <stdexcept>

#include "adapter/infra/kafka/json_log.h"
#include "adapter/runtime/webhooks/delivery_shell_impl.h"
#include "connectors/webhooks/delivery.h"

namespace crp::webhooks {
namespace {

using kafka::LogLevel;
using Kind = delivery::Command::Kind;
using Note = delivery::Command::Note;

}  // namespace

void DeliveryShell::Impl::register_metrics() {
  if (!metrics) return;
  const std::string& m = spec.metric_prefix;
  auto& breaker =
      metrics->gauge("crp_partner_breaker_open",
                     "1 while a partner's circuit breaker is open (or half-open)", {"partner"});
  for (const auto& [id, channel] : channels) {
    PartnerMetrics& pm = partner_metrics[id];
    pm.attempts =
        &metrics->counter(m + "attempts_total", "Delivery attempts", {"partner"}).with({id});
    pm.delivered =
        &metrics->counter(m + "delivered_total", "Deliveries the partner accepted", {"partner"})
             .with({id});
    pm.failures =
        &metrics->counter(m + "failures_total", "Attempts that failed", {"partner"}).with({id});
    pm.dead_lettered =
        &metrics->counter(m + "dead_lettered_total", "Deliveries dead-lettered", {"partner"})
             .with({id});
    pm.latency =
        &metrics->histogram(m + "latency_seconds", "Attempt latency", {"partner"}).with({id});
    pm.breaker_open = &breaker.with({id});
  }
}

void DeliveryShell::Impl::update_breaker_gauges() {
  const Instant now = now_instant();
  for (auto& [id, pm] : partner_metrics)
    if (pm.breaker_open) pm.breaker_open->set(engine->breaker_open(id, now) ? 1 : 0);
}

void DeliveryShell::Impl::execute(const delivery::Commands& commands) {
  bool breaker_may_change = false;
  for (const delivery::Command& c : commands) {
    switch (c.kind) {
      case Kind::attempt:
        attempt(c);
        break;
      case Kind::persist:
        write_pending(c.partition, c.job, false, c.origin);
        break;
      case Kind::tombstone:
        write_pending(c.partition, c.job, true, std::nullopt);
        break;
      case Kind::dead_letter:
        dead_letter(c);
        break;
      case Kind::settle:
        settle(c.origin);
        break;
      case Kind::disable_partner:
        mark_disabled(c.partner_id, true);
        break;
      case Kind::enable_partner:
        mark_disabled(c.partner_id, false);
        break;
      case Kind::note:
        note(c);
        break;
    }
    breaker_may_change = breaker_may_change || c.kind == Kind::note || c.kind == Kind::settle;
  }
  if (breaker_may_change) update_breaker_gauges();
}

void DeliveryShell::Impl::attempt(const delivery::Command& c) {
  auto channel = channels.find(c.partner_id);
  if (channel == channels.end()) return;  // the engine only knows configured partners
  PartnerMetrics& pm = partner_metrics[c.partner_id];
  if (pm.attempts) pm.attempts->inc();
  channel->second->attempt(c.job, [this, ticket = c.ticket, job = c.job](delivery::Outcome o) {
    try {
      on_outcome(ticket, job, o);
    } catch (...) {
      callback_error = std::current_exception();
    }
  });
}

void DeliveryShell::Impl::on_outcome(const delivery::Ticket& ticket, const delivery::Job& job,
                                     const delivery::Outcome& o) {
  PartnerMetrics& pm = partner_metrics[ticket.partner_id];
  if (pm.latency) pm.latency->observe(std::chrono::duration<double>(o.latency).count());
  const bool delivered = o.kind == delivery::Outcome::Kind::delivered;
  if (delivered && pm.delivered) pm.delivered->inc();
  if (!delivered && pm.failures) pm.failures->inc();
  if (delivered && spec.on_delivered) {
    if (std::optional<ShellOutput> out = spec.on_delivered(job, o)) {
      const std::string topic = out->topic;
      produce(topic, RdKafka::Topic::PARTITION_UA, out->key, &out->value, std::move(out->headers),
              [topic](RdKafka::ErrorCode err) {
                if (err != RdKafka::ERR_NO_ERROR)
                  kafka::log(LogLevel::error, "cannot write a delivery record",
                             {{"topic", topic}, {"error", RdKafka::err2str(err)}});
              });
    }
  }
  execute(engine->on_outcome(ticket, o, now_instant()));
  update_breaker_gauges();
}

void DeliveryShell::Impl::settle(const std::optional<delivery::Origin>& origin) {
  if (!origin) return;
  auto g = generations.find(origin->partition);
  auto t = trackers.find(origin->partition);
  if (g == generations.end() || g->second != origin->generation || t == trackers.end()) return;
  t->second.settled(origin->offset);
}

// A put (or a tombstone) on the pending topic; the origin settles once it is durable.
void DeliveryShell::Impl::write_pending(std::int32_t partition, const delivery::Job& job,
                                        bool tombstone,
                                        std::optional<delivery::Origin> settle_after) {
  const std::string value = tombstone ? std::string() : encode(job);
  produce(spec.pending_topic, partition, pending_key(job), tombstone ? nullptr : &value, {},
          [this, settle_after](RdKafka::ErrorCode err) {
            if (err != RdKafka::ERR_NO_ERROR) {
              // Not durable: the input offset stays put; after the restart it
              // is read again. Surface it, stop, let the supervisor restart.
              throw std::runtime_error("cannot write to " + spec.pending_topic + ": " +
                                       RdKafka::err2str(err));
            }
            settle(settle_after);
          });
}

void DeliveryShell::Impl::dead_letter(const delivery::Command& c) {
  const delivery::Job& job = c.job;
  PartnerMetrics& pm = partner_metrics[c.partner_id];
  if (pm.dead_lettered) pm.dead_lettered->inc();
  kafka::log(LogLevel::error, spec.noun + " delivery dead-lettered",
             {{"partner", job.partner_id},
              {spec.noun + "_id", job.webhook_id},
              {"attempts", job.attempt},
              {"reason", c.reason}});
  const std::string& h = spec.header_prefix;
  std::vector<std::pair<std::string, std::string>> headers = {
      {"__connect.errors.topic", spec.input_topic},
      {"__connect.errors.exception.class.name", spec.dlq_class},
      {"__connect.errors.exception.message", c.reason},
      {h + "partner", job.partner_id},
      {h + "id", job.webhook_id},
      {h + "attempts", std::to_string(job.attempt)}};
  if (c.status) headers.push_back({h + "status", std::to_string(c.status)});
  const std::string value = encode(job);
  produce(config.topics.dlq, RdKafka::Topic::PARTITION_UA, job.challenge_id, &value,
          std::move(headers),
          [this, origin = c.origin, tombstone = c.tombstone_after, partition = c.partition,
           job](RdKafka::ErrorCode err) {
            if (err != RdKafka::ERR_NO_ERROR)
              throw std::runtime_error("cannot write to " + config.topics.dlq + ": " +
                                       RdKafka::err2str(err));
            settle(origin);
            if (tombstone) write_pending(partition, job, true, std::nullopt);
          });
}

// The partner's disabled record in every pending partition (a tombstone once
// enabled), so it stays disabled across restarts; and, on disabling, the
// partner.disabled event.
void DeliveryShell::Impl::mark_disabled(const std::string& partner_id, bool disabled) {
  const std::string key = disabled_key(partner_id);
  const std::string marker = "{\"partner_id\":\"" + partner_id + "\",\"disabled_at\":\"" +
                             format_iso8601(now_instant()) + "\"}";
  for (std::int32_t p = 0; p < pending_partitions; ++p) {
    produce(spec.pending_topic, p, key, disabled ? &marker : nullptr, {},
            [this](RdKafka::ErrorCode err) {
              if (err != RdKafka::ERR_NO_ERROR)
                throw std::runtime_error("cannot write to " + spec.pending_topic + ": " +
                                         RdKafka::err2str(err));
            });
  }
  if (!disabled) return;
  kafka::log(LogLevel::error,
             "partner disabled: its endpoint answered 410 Gone; its deliveries are dead-lettered",
             {{"partner", partner_id}});
  if (!spec.disabled_event) return;
  const std::string event = spec.disabled_event(partner_id, 410, "endpoint answered 410 Gone");
  if (event.empty()) return;
  produce(spec.operations_topic, RdKafka::Topic::PARTITION_UA, partner_id, &event,
          {{"content-type", "application/cloudevents+json"}}, [partner_id](RdKafka::ErrorCode err) {
            if (err != RdKafka::ERR_NO_ERROR)
              kafka::log(LogLevel::error, "cannot write the partner.disabled event",
                         {{"partner", partner_id}, {"error", RdKafka::err2str(err)}});
          });
}

void DeliveryShell::Impl::note(const delivery::Command& c) {
  const delivery::Job& j = c.job;
  const std::string id_field = spec.noun + "_id";
  switch (c.note) {
    case Note::none:
      break;
    case Note::retry_scheduled:
      kafka::log(LogLevel::warning, spec.noun + " attempt failed; retry scheduled",
                 {{"partner", j.partner_id},
                  {id_field, j.webhook_id},
                  {"attempt", j.attempt},
                  {"error", j.last_error},
                  {"retry_at", format_iso8601(j.next_attempt_at)}});
      break;
    case Note::delivered_after_retries:
      kafka::log(LogLevel::info, spec.noun + " delivered after retries",
                 {{"partner", j.partner_id}, {id_field, j.webhook_id}, {"attempts", j.attempt}});
      break;
    case Note::circuit_opened:
      kafka::log(LogLevel::warning, "partner circuit opened", {{"partner", j.partner_id}});
      break;
    case Note::quota_hold:
      kafka::log(LogLevel::warning, "partner quota reached: every delivery held until it resets",
                 {{"partner", j.partner_id},
                  {"error", j.last_error},
                  {"until", format_iso8601(j.next_attempt_at)}});
      break;
    case Note::unknown_partner:
      kafka::log(LogLevel::error, "delivery for a partner that is not configured; dropped",
                 {{"partner", j.partner_id}, {id_field, j.webhook_id}});
      break;
    case Note::orphan_pending:
      kafka::log(LogLevel::warning,
                 "pending delivery for a partner no longer configured; left pending",
                 {{"partner", j.partner_id}, {id_field, j.webhook_id}});
      break;
  }
}

// Runs `done` on this thread (from producer->poll) when the write is acknowledged.
void DeliveryShell::Impl::produce(const std::string& topic, std::int32_t partition,
                                  const std::string& key, const std::string* value,
                                  std::vector<std::pair<std::string, std::string>> headers,
                                  std::function<void(RdKafka::ErrorCode)> done) {
  RdKafka::Headers* h = nullptr;
  if (!headers.empty()) {
    h = RdKafka::Headers::create();
    for (const auto& [k, v] : headers) h->add(k, v);
  }
  const std::uint64_t token = next_token++;
  acks[token] = std::move(done);
  for (;;) {
    RdKafka::ErrorCode err = producer->produce(topic, partition, RdKafka::Producer::RK_MSG_COPY,
                                               value ? const_cast<char*>(value->data()) : nullptr,
                                               value ? value->size() : 0, key.data(), key.size(), 0,
                                               h, reinterpret_cast<void*>(token));
    if (err == RdKafka::ERR_NO_ERROR) return;
    if (err == RdKafka::ERR__QUEUE_FULL) {
      producer->poll(10);
      continue;
    }
    delete h;  // on failure the headers stay ours (librdkafka docs)
    acks.erase(token);
    throw std::runtime_error("cannot produce to " + topic + ": " + RdKafka::err2str(err));
  }
}

void DeliveryShell::Impl::dr_cb(RdKafka::Message& m) {
  const auto token = reinterpret_cast<std::uint64_t>(m.msg_opaque());
  auto it = acks.find(token);
  if (it == acks.end()) return;
  auto done = std::move(it->second);
  acks.erase(it);
  try {
    done(m.err());
  } catch (...) {
    callback_error = std::current_exception();
  }
}

}  // namespace crp::webhooks
