// The one transactional producer of an instance. Outputs, changelog records
// and the consumer's offsets go into the same Kafka transaction, so a batch
// is either wholly visible to read_committed readers or not at all.
// Zombie fencing: init_transactions() fences an older producer with the same
// transactional.id, and offsets carry the consumer group's generation
// (KIP-447), so an instance that lost its partitions cannot commit for them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "adapter/core/record.h"
#include "adapter/infra/kafka/event_logger.h"
#include "adapter/infra/kafka/rdkafka_handles.h"
#include "adapter/runtime/service_config.h"

namespace crp::kafka {

class TransactionalProducer {
 public:
  enum class Outcome { committed, aborted };

  TransactionalProducer(const ServiceConfig& config, std::string transactional_id);
  ~TransactionalProducer();

  RdKafka::Handle& handle() { return *producer_; }
  const std::string& transactional_id() const { return transactional_id_; }
  int max_message_bytes() const { return max_message_bytes_; }

  // Registers the transactional.id with the coordinator, aborting what a
  // previous incarnation left open. Throws FatalKafkaError(fenced) if a newer
  // producer holds the id.
  void init();

  bool in_transaction() const { return open_; }
  // Begins a transaction unless one is open; true if it began one.
  bool begin();
  // Adds a record to the open transaction, beginning one if none is open.
  // partition -1: the default partitioner by key. Returns false when the
  // record exceeds message.max.bytes (nothing was sent).
  bool produce(const Record& record, std::int32_t partition);
  // Sends `offsets` (next offsets to read) with the group's metadata and
  // commits. On an abortable error aborts instead; the caller must then
  // rewind its input and rebuild its state.
  Outcome commit(const TopicPartitions& offsets, RdKafka::KafkaConsumer& consumer);
  // Aborts the open transaction. If the broker refuses the abort with a
  // fatal error other than fencing (INVALID_TXN_STATE once the coordinator
  // has itself aborted a transaction that timed out while a broker was
  // away), the producer is replaced by a new one under the same
  // transactional.id, whose init() aborts whatever is left: the transaction
  // is gone either way, and the caller rewinds and rebuilds as for an abort.
  // The same holds for a fencing error on a transaction open longer than
  // transaction.timeout.ms: the coordinator (often a new one, after a broker
  // failover) aborted it and bumped the epoch, and librdkafka reports that as
  // "fenced by a newer instance" although no other instance exists. A younger
  // transaction fenced means another instance took the id: FatalKafkaError.
  void abort();
  // Serves delivery and error events between transactional calls.
  void poll() { producer_->poll(0); }

 private:
  enum class CallResult { ok, needs_abort };
  CallResult call(const char* what, const std::function<RdKafka::Error*()>& fn);
  [[noreturn]] void fail(const char* what, const RdKafka::Error& error);
  void create();
  // True when `e` fenced a transaction old enough for its coordinator to have
  // aborted it on timeout; the producer is then replaced (logged) and the
  // transaction is over, as for an abort.
  bool replaced_after_coordinator_timeout(const FatalKafkaError& e);
  void replace();

  const ServiceConfig& config_;
  EventLogger events_{"producer"};
  std::string transactional_id_;
  int max_message_bytes_ = 0;
  std::chrono::milliseconds transaction_timeout_{0};
  std::chrono::steady_clock::time_point began_at_{};
  ProducerPtr producer_;
  bool open_ = false;
  bool must_abort_ = false;  // a produce() failed in a way only an abort clears
};

}  // namespace crp::kafka
