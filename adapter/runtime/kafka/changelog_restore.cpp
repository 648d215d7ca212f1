#include "adapter/runtime/kafka/changelog_restore.h"

#include <algorithm>
#include <chrono>
#include <ranges>
#include <set>
#include <stdexcept>
#include <thread>

#include "adapter/infra/kafka/json_log.h"
#include "adapter/infra/kafka/kafka_properties.h"
#include "adapter/runtime/kafka/restore_worker.h"

namespace crp::kafka {
namespace {

// An open transaction of another (crashed) instance holds the committed end
// back until the broker aborts it (transaction.timeout.ms); wait that long
// and a good margin, then give up rather than run on partial state.
constexpr auto kRestoreTimeout = std::chrono::seconds(180);
constexpr std::int64_t kReserveCap = 4'000'000;

}  // namespace

ChangelogRestorer::ChangelogRestorer(const ServiceConfig& config) : config_(config) {
  std::string error;
  ConfPtr conf = restore_consumer_conf(config, &events_, Isolation::read_committed);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer_) throw std::runtime_error("cannot create the changelog consumer: " + error);
  conf = restore_consumer_conf(config, &events_, Isolation::read_uncommitted);
  end_reader_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!end_reader_) throw std::runtime_error("cannot create the changelog consumer: " + error);
}

ChangelogRestorer::~ChangelogRestorer() {
  if (consumer_) consumer_->close();
  if (end_reader_) end_reader_->close();
}

// The changelog's leaders as the cluster knows them now: a restore follows a
// lost or new assignment, often because a broker failed, and this client's
// cached metadata may still name the failed broker as leader (its queries
// would then wait for that broker to come back).
void ChangelogRestorer::refresh_leaders(const std::string& topic) {
  std::string error;
  std::unique_ptr<RdKafka::Topic> handle(
      RdKafka::Topic::create(end_reader_.get(), topic, nullptr, error));
  RdKafka::Metadata* metadata = nullptr;
  if (handle &&
      end_reader_->metadata(false, handle.get(), &metadata, 5000) == RdKafka::ERR_NO_ERROR) {
    delete metadata;
  }
}

void ChangelogRestorer::restore(const std::map<std::int32_t, Engine*>& engines,
                                const std::function<void()>& between_reads) {
  if (engines.empty()) return;
  const auto started = std::chrono::steady_clock::now();
  const std::string& topic = config_.topics.changelog;

  // The end to reach: the high watermark now. read_committed delivers up to
  // the last stable offset, which reaches it once no transaction is open.
  std::map<std::int32_t, std::int64_t> end;
  TopicPartitions assignment;
  refresh_leaders(topic);
  for (const auto& [partition, engine] : engines) {
    std::int64_t low = 0, high = 0;
    RdKafka::ErrorCode err;
    bool warned = false;
    while ((err = end_reader_->query_watermark_offsets(topic, partition, &low, &high, 5000)) !=
           RdKafka::ERR_NO_ERROR) {
      if (std::chrono::steady_clock::now() - started > kRestoreTimeout) {
        throw std::runtime_error("cannot read changelog offsets of partition " +
                                 std::to_string(partition) + ": " + RdKafka::err2str(err));
      }
      // A leader that moved (a broker failed or came back) answers "not
      // leader" until this client's metadata names the new one, and nothing
      // else refreshes it here: ask for metadata, then retry shortly, logging
      // once per partition rather than once per attempt.
      if (!warned) {
        log(LogLevel::warning, "changelog offsets unavailable, retrying",
            {{"topic", topic}, {"partition", partition}, {"error", RdKafka::err2str(err)}});
        warned = true;
      }
      refresh_leaders(topic);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (high > low) {
      end[partition] = high;
      // One record per challenge once compacted; an uncompacted tail holds
      // more records than challenges, hence the cap (room, not a limit).
      engine->reserve(engine->size() +
                      static_cast<std::size_t>(std::min<std::int64_t>(high - low, kReserveCap)));
      assignment.add(topic, partition, RdKafka::Topic::OFFSET_BEGINNING);
    }
  }

  std::size_t records = 0;
  if (!assignment.empty()) {
    if (RdKafka::ErrorCode err = consumer_->assign(assignment.get());
        err != RdKafka::ERR_NO_ERROR) {
      throw std::runtime_error("cannot assign changelog partitions: " + RdKafka::err2str(err));
    }
    // From here to finish() the engines are the workers'. Thrown out of this
    // block (a timeout, or between_reads refusing), the workers are abandoned
    // and joined by their destructors: the caller drops these engines.
    // Two workers per core: a worker owns whole partitions, so with 3
    // partitions on 2 cores one worker per core would give one of them two
    // thirds of the records; three threads let the kernel balance the cores.
    RestorePool workers(engines, 2 * std::max(1u, std::thread::hardware_concurrency()));
    std::set<std::int32_t> pending, held_back;
    for (const auto& [p, offset] : end) pending.insert(p);
    while (!pending.empty() && !workers.failed()) {
      if (std::chrono::steady_clock::now() - started > kRestoreTimeout) {
        consumer_->unassign();
        throw std::runtime_error("changelog partitions " +
                                 partition_list(std::views::keys(engines)) +
                                 " did not reach their committed end within " +
                                 std::to_string(kRestoreTimeout.count()) + " s");
      }
      if (between_reads) between_reads();
      // While batches are being filled, do not wait for more: hand them over.
      MessagePtr msg(consumer_->consume(workers.filling() ? 0 : 200));
      const std::int32_t partition = msg->partition();
      switch (msg->err()) {
        case RdKafka::ERR_NO_ERROR: {
          const std::string* key = msg->key();
          if (!key) break;  // not ours: every changelog record is keyed
          workers.add(partition, msg->offset(), *key, msg->payload(), msg->len());
          ++records;
          if (msg->offset() + 1 >= end[partition]) pending.erase(partition);
          break;
        }
        case RdKafka::ERR__PARTITION_EOF:
          if (msg->offset() >= end[partition]) {
            pending.erase(partition);
          } else if (held_back.insert(partition).second) {
            // An open transaction (of an instance that died?) holds the stable
            // offset back until it ends or the broker aborts it.
            log(LogLevel::info, "changelog end held by an open transaction; waiting",
                {{"topic", topic},
                 {"partition", partition},
                 {"stable", msg->offset()},
                 {"end", end[partition]}});
          }
          break;
        case RdKafka::ERR__TIMED_OUT:
          workers.hand_over_all();
          break;
        default:
          log(LogLevel::warning, "changelog read error",
              {{"topic", topic}, {"error", msg->errstr()}});
          break;
      }
    }
    consumer_->unassign();
    workers.finish();  // applies the rest; rethrows a record that cannot be decoded
  }

  std::size_t challenges = 0, timers = 0, plans = 0, plan_checks = 0, quarantined = 0;
  // Kept, not run, until a configuration with a place for it is deployed (decision 0061).
  // A line each for the first few; the count, /v1 and the metric give the rest.
  constexpr std::size_t kQuarantineLines = 20;
  for (const auto& [p, engine] : engines) {
    for (const auto& [id, q] : engine->quarantined()) {
      if (++quarantined > kQuarantineLines) continue;
      log(LogLevel::warning, "challenge quarantined",
          {{"challenge_id", id},
           {"protocol", q.challenge.protocol},
           {"protocol_version", q.challenge.protocol_version},
           {"stage", q.challenge.stage},
           {"reason", q.reason}});
    }
    challenges += engine->size();
    timers += engine->pending_timers();
    plans += engine->watch().size();
    plan_checks += engine->watch().pending_checks();
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  log(LogLevel::info, "state restored",
      {{"topic", topic},
       {"partitions", partition_list(std::views::keys(engines))},
       {"records", records},
       {"challenges", challenges},
       {"pending_timers", timers},
       {"quarantined", quarantined},
       {"plans", plans},
       {"plan_checks", plan_checks},
       {"ms", ms}});
}

}  // namespace crp::kafka
