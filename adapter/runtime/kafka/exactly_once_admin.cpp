// ExactlyOnceService as the admin API sees it: readiness, the challenges of
// the owned partitions, and the Prometheus metrics it keeps. Everything here
// runs on the service's thread (see set_idle_hook).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ranges>

#include "adapter/infra/kafka/json_log.h"
#include "adapter/runtime/admin/challenge_view.h"
#include "adapter/runtime/kafka/exactly_once_service.h"
#include "adapter/runtime/kafka/output_type_label.h"

namespace crp::kafka {
namespace {

constexpr auto kIdleEvery = std::chrono::milliseconds(10);

}  // namespace

void ExactlyOnceService::idle() const {
  if (!idle_hook_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_idle_) return;
  next_idle_ = now + kIdleEvery;
  idle_hook_();
}

admin::Readiness ExactlyOnceService::readiness() const {
  if (failed_) return {false, "not ready: a fatal error is being handled"};
  if (stopping_) return {false, "not ready: stopping"};
  if (!producer_ready_) return {false, "not ready: the transactional producer is initialising"};
  if (!assignment_received_) return {false, "not ready: waiting for a partition assignment"};
  if (!refused_.empty()) {
    const std::uint64_t rss = std::ranges::max(std::views::values(refused_));
    return {false, "not ready: partition(s) " + partition_list(std::views::keys(refused_)) +
                       " refused: resident memory reached " + std::to_string(mib(rss)) +
                       " MiB restoring them, above runtime.memory_limit_mib " +
                       std::to_string(mib(memory_.limit_bytes())) +
                       "; scale out, or raise the limit and restart"};
  }
  if (!restoring_.empty()) {
    return {false, "not ready: restoring the state of " + std::to_string(restoring_.size()) +
                       " partition(s) from the changelog"};
  }
  for (const auto& [topic, partition] : assigned_) {
    if (!tasks_.count(partition)) return {false, "not ready: a partition has no state yet"};
  }
  return {true, "ready: " + std::to_string(tasks_.size()) + " partition(s) restored"};
}

void ExactlyOnceService::for_each_challenge(
    const std::function<void(const Challenge&, std::int32_t)>& visit) const {
  for (const auto& [partition, task] : tasks_) {
    if (restoring_.count(partition)) continue;
    task->engine.for_each([&](const Challenge& c) { visit(c, partition); });
  }
}

void ExactlyOnceService::for_each_quarantined(
    const std::function<void(const Challenge&, const std::string&, std::int32_t)>& visit) const {
  for (const auto& [partition, task] : tasks_) {
    if (restoring_.count(partition)) continue;
    for (const auto& [id, q] : task->engine.quarantined()) visit(q.challenge, q.reason, partition);
  }
}

const Challenge* ExactlyOnceService::find_challenge(const std::string& id,
                                                    std::int32_t& partition) const {
  for (const auto& [p, task] : tasks_) {
    if (restoring_.count(p)) continue;
    if (const Challenge* c = task->engine.find(id)) {
      partition = p;
      return c;
    }
  }
  return nullptr;
}

// ---- metrics -------------------------------------------------------------

void ExactlyOnceService::register_metrics(admin::MetricsRegistry& m) {
  intake_metrics_ = std::make_unique<IntakeMetrics>(m);
  metrics_.records_in =
      &m.counter("crp_records_in_total", "Input records processed, by topic", {"topic"});
  metrics_.records_out = &m.counter(
      "crp_records_out_total",
      "Records produced in committed or open transactions, by topic and CloudEvents type",
      {"topic", "type"});
  metrics_.dead_letters =
      &m.counter("crp_dead_letters_total", "Records sent to the dead-letter topic, by error class",
                 {"error_class"});
  metrics_.commits =
      &m.counter("crp_transactions_committed_total", "Kafka transactions committed").with({});
  metrics_.aborts =
      &m.counter("crp_transactions_aborted_total", "Kafka transactions aborted").with({});
  metrics_.timers_fired =
      &m.counter("crp_timer_passes_total", "Passes that fired due deadlines of a partition")
           .with({});
  metrics_.lag =
      &m.gauge("crp_consumer_lag", "Records between the consumer position and the high watermark",
               {"topic", "partition"});
  metrics_.open = &m.gauge("crp_challenges_open", "Open challenges on this instance's partitions",
                           {"protocol", "stage"});
  metrics_.overdue = &m.gauge("crp_challenges_overdue",
                              "Open challenges past a deadline on this instance's partitions",
                              {"protocol", "stage"});
  metrics_.pending_timers =
      &m.gauge("crp_pending_timers", "Deadlines waiting to fire on this instance").with({});
  metrics_.quarantined = &m.gauge("crp_challenges_quarantined",
                                  "Restored challenges whose protocol, version, stage or route "
                                  "is not loaded: kept, not run (docs/decisions/0061)",
                                  {"protocol"});
  metrics_.owned_partitions =
      &m.gauge("crp_owned_partitions", "Input partitions this instance owns").with({});
  metrics_.transaction_open =
      &m.gauge("crp_transaction_open",
               "1 while a Kafka transaction is open (outputs produced, not yet committed)")
           .with({});
  metrics_.ready = &m.gauge("crp_ready", "1 when /readyz answers 200").with({});
  metrics_.refused_partitions =
      &m.gauge("crp_partitions_refused",
               "Assigned input partitions refused for memory (runtime.memory_limit_mib): paused, "
               "not processed")
           .with({});
  metrics_.refusals = &m.counter(
      "crp_partition_refusals_total",
      "Partitions refused on assignment because resident memory passed runtime.memory_limit_mib",
      {"partition"});
  metrics_.calendar_reloads = &m.counter(
      "crp_calendar_reloads_total",
      "Calendar file reads after a change or SIGHUP: applied (deadlines recounted), unchanged, "
      "or refused (the calendar in use stays; the log names file, pointer and reason)",
      {"result"});
  if (memory_.enabled()) {
    m.gauge("crp_memory_limit_bytes", "runtime.memory_limit_mib, in bytes")
        .with({})
        .set(static_cast<double>(memory_.limit_bytes()));
  }
  // Rendered from the admin handler, on this thread (idle hook): the
  // engines may be read directly.
  m.on_scrape([this] { refresh_gauges(); });
}

void ExactlyOnceService::count_input(const std::string& topic) {
  auto it = metrics_.in_by_topic.find(topic);
  if (it == metrics_.in_by_topic.end()) {
    it = metrics_.in_by_topic.emplace(topic, &metrics_.records_in->with({topic})).first;
  }
  it->second->inc();
}

void ExactlyOnceService::count_output(const Record& record) {
  const std::string_view type = output_type_label(record, config_.topics.dlq);
  std::string key;
  key.reserve(record.topic.size() + 1 + type.size());
  key.append(record.topic).append(1, '\t').append(type);
  auto it = metrics_.out_by_topic_type.find(key);
  if (it == metrics_.out_by_topic_type.end()) {
    admin::Counter& c = metrics_.records_out->with({record.topic, std::string(type)});
    it = metrics_.out_by_topic_type.emplace(std::move(key), &c).first;
  }
  it->second->inc();
}

void ExactlyOnceService::refresh_gauges() {
  metrics_.lag->zero_all();  // partitions no longer owned show 0, not a stale lag
  if (consumer_) {
    for (const auto& [tp, position] : positions_) {
      std::int64_t low = 0, high = 0;
      // Cached from the last fetch: no broker round trip on a scrape.
      if (consumer_->get_watermark_offsets(tp.first, tp.second, &low, &high) ==
              RdKafka::ERR_NO_ERROR &&
          high >= 0) {
        metrics_.lag->with({tp.first, std::to_string(tp.second)})
            .set(static_cast<double>(std::max<std::int64_t>(0, high - position)));
      }
    }
  }
  metrics_.open->zero_all();
  metrics_.overdue->zero_all();
  metrics_.quarantined->zero_all();
  std::size_t timers = 0;
  std::map<std::string, int> quarantined;
  const Instant at = wall_now();
  std::map<std::pair<std::string, std::string>, std::pair<int, int>> by_stage;
  for (const auto& [partition, task] : tasks_) {
    if (restoring_.count(partition)) continue;
    timers += task->engine.pending_timers();
    for (const auto& [id, q] : task->engine.quarantined()) ++quarantined[q.challenge.protocol];
    task->engine.for_each([&](const Challenge& c) {
      if (c.closed()) return;
      auto& [open, overdue] = by_stage[{c.protocol, c.stage}];
      ++open;
      if (admin::is_overdue(c, at)) ++overdue;
    });
  }
  for (const auto& [key, counts] : by_stage) {
    metrics_.open->with({key.first, key.second}).set(counts.first);
    metrics_.overdue->with({key.first, key.second}).set(counts.second);
  }
  for (const auto& [protocol, n] : quarantined) metrics_.quarantined->with({protocol}).set(n);
  metrics_.pending_timers->set(static_cast<double>(timers));
  metrics_.owned_partitions->set(static_cast<double>(tasks_.size()));
  metrics_.transaction_open->set(producer_.in_transaction() ? 1 : 0);
  metrics_.refused_partitions->set(static_cast<double>(refused_.size()));
  metrics_.ready->set(readiness().ready ? 1 : 0);
}

}  // namespace crp::kafka
