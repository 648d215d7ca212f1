#include "adapter/infra/kafka/transactional_producer.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "adapter/infra/kafka/json_log.h"
#include "adapter/infra/kafka/kafka_properties.h"

namespace crp::kafka {
namespace {

constexpr int kCallTimeoutMs = 30000;

}  // namespace

TransactionalProducer::TransactionalProducer(const ServiceConfig& config,
                                             std::string transactional_id)
    : config_(config), transactional_id_(std::move(transactional_id)) {
  create();
}

void TransactionalProducer::create() {
  ConfPtr conf = transactional_producer_conf(config_, transactional_id_, &events_);
  max_message_bytes_ = std::stoi(effective_property(*conf, "message.max.bytes"));
  transaction_timeout_ =
      std::chrono::milliseconds(std::stoi(effective_property(*conf, "transaction.timeout.ms")));
  std::string error;
  producer_.reset(RdKafka::Producer::create(conf.get(), error));
  if (!producer_) throw std::runtime_error("cannot create the transactional producer: " + error);
}

TransactionalProducer::~TransactionalProducer() {
  if (open_) {
    ErrorPtr ignored(
        producer_->abort_transaction(5000));  // best effort; the broker times it out otherwise
  }
}

void TransactionalProducer::fail(const char* what, const RdKafka::Error& error) {
  std::string fatal_text;
  const RdKafka::ErrorCode fatal = producer_->fatal_error(fatal_text);
  const bool fenced = is_fencing(error.code()) || is_fencing(fatal);
  throw FatalKafkaError(
      std::string(what) + ": " + error.str() + (fatal_text.empty() ? "" : " (" + fatal_text + ")"),
      fenced);
}

TransactionalProducer::CallResult TransactionalProducer::call(
    const char* what, const std::function<RdKafka::Error*()>& fn) {
  for (int attempt = 1;; ++attempt) {
    ErrorPtr error(fn());
    if (!error) return CallResult::ok;
    if (error->is_fatal()) fail(what, *error);
    if (error->txn_requires_abort()) {
      log(LogLevel::warning, "transaction must be aborted",
          {{"call", what}, {"error", error->str()}});
      return CallResult::needs_abort;
    }
    if (!error->is_retriable()) fail(what, *error);
    // Retriable: typically the broker is unreachable for a while.
    log(LogLevel::warning, "transaction call failed, retrying",
        {{"call", what}, {"error", error->str()}, {"attempt", attempt}});
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100 * attempt, 2000)));
  }
}

void TransactionalProducer::init() {
  call("init_transactions", [&] { return producer_->init_transactions(kCallTimeoutMs); });
}

bool TransactionalProducer::begin() {
  if (open_) return false;
  call("begin_transaction", [&] { return producer_->begin_transaction(); });
  open_ = true;
  began_at_ = std::chrono::steady_clock::now();
  return true;
}

bool TransactionalProducer::produce(const Record& record, std::int32_t partition) {
  begin();
  if (must_abort_) return true;  // the batch is aborted at commit and retried
  for (;;) {
    std::unique_ptr<RdKafka::Headers> headers;
    if (!record.headers.empty()) {
      headers.reset(RdKafka::Headers::create());
      for (const Header& h : record.headers) headers->add(h.key, h.value.data(), h.value.size());
    }
    const RdKafka::ErrorCode err =
        producer_->produce(record.topic, partition < 0 ? RdKafka::Topic::PARTITION_UA : partition,
                           RdKafka::Producer::RK_MSG_COPY,
                           record.null_value ? nullptr : const_cast<char*>(record.value.data()),
                           record.value.size(), record.key.empty() ? nullptr : record.key.data(),
                           record.key.size(), 0, headers.get(), nullptr);
    if (err == RdKafka::ERR_NO_ERROR) {
      headers.release();  // librdkafka owns them once the record is accepted
      return true;
    }
    if (err == RdKafka::ERR__QUEUE_FULL) {
      producer_->poll(50);
      continue;
    }
    if (err == RdKafka::ERR_MSG_SIZE_TOO_LARGE) return false;
    if (err == RdKafka::ERR__FATAL) {
      std::string text;
      const RdKafka::ErrorCode fatal = producer_->fatal_error(text);
      throw FatalKafkaError("produce: " + text, is_fencing(fatal));
    }
    // Typically the transaction already failed (broker away too long): one
    // line, and nothing more is sent into a batch that will be aborted.
    log(LogLevel::warning, "produce failed; the transaction will be aborted and retried",
        {{"topic", record.topic}, {"error", RdKafka::err2str(err)}});
    must_abort_ = true;
    return true;
  }
}

TransactionalProducer::Outcome TransactionalProducer::commit(const TopicPartitions& offsets,
                                                             RdKafka::KafkaConsumer& consumer) {
  if (!open_) return Outcome::committed;
  if (must_abort_) {
    abort();
    return Outcome::aborted;
  }
  try {
    if (!offsets.empty()) {
      GroupMetadataPtr group(consumer.groupMetadata());
      if (call("send_offsets_to_transaction", [&] {
            return producer_->send_offsets_to_transaction(offsets.get(), group.get(),
                                                          kCallTimeoutMs);
          }) == CallResult::needs_abort) {
        abort();
        return Outcome::aborted;
      }
    }
    if (call("commit_transaction", [&] { return producer_->commit_transaction(kCallTimeoutMs); }) ==
        CallResult::needs_abort) {
      abort();
      return Outcome::aborted;
    }
  } catch (const FatalKafkaError& e) {
    if (!replaced_after_coordinator_timeout(e)) throw;
    return Outcome::aborted;
  }
  open_ = false;
  return Outcome::committed;
}

bool TransactionalProducer::replaced_after_coordinator_timeout(const FatalKafkaError& e) {
  if (!e.fenced() || !open_) return false;
  const auto open_for = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - began_at_);
  if (open_for < transaction_timeout_) return false;  // young: another instance took the id
  log(LogLevel::warning,
      "transaction timed out on its coordinator: replacing the transactional producer",
      {{"transactional_id", transactional_id_},
       {"open_ms", static_cast<std::int64_t>(open_for.count())},
       {"transaction_timeout_ms", static_cast<std::int64_t>(transaction_timeout_.count())},
       {"error", e.what()}});
  replace();
  return true;
}

void TransactionalProducer::replace() {
  producer_.reset();  // no abort attempt: its transaction is over on the broker
  open_ = false;
  must_abort_ = false;
  create();
  init();
}

void TransactionalProducer::abort() {
  if (!open_) return;
  try {
    if (call("abort_transaction", [&] { return producer_->abort_transaction(kCallTimeoutMs); }) ==
        CallResult::needs_abort) {
      throw FatalKafkaError("abort_transaction asked for an abort", false);
    }
  } catch (const FatalKafkaError& e) {
    if (replaced_after_coordinator_timeout(e)) return;
    if (e.fenced()) throw;  // another instance holds the id: leave
    log(LogLevel::warning, "abort refused: replacing the transactional producer",
        {{"transactional_id", transactional_id_}, {"error", e.what()}});
    replace();
    return;
  }
  open_ = false;
  must_abort_ = false;
}

}  // namespace crp::kafka
