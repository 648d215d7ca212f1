// Ownership for what librdkafka's C++ API hands out as raw pointers: every
// ::create result and every returned RdKafka::Error / Message / Metadata goes
// straight into one of these.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace crp::kafka {

using ConfPtr = std::unique_ptr<RdKafka::Conf>;
using ConsumerPtr = std::unique_ptr<RdKafka::KafkaConsumer>;
using ProducerPtr = std::unique_ptr<RdKafka::Producer>;
using MessagePtr = std::unique_ptr<RdKafka::Message>;
using ErrorPtr = std::unique_ptr<RdKafka::Error>;
using MetadataPtr = std::unique_ptr<RdKafka::Metadata>;
using GroupMetadataPtr = std::unique_ptr<RdKafka::ConsumerGroupMetadata>;

// An owned list of (topic, partition, offset), in the shape the API takes.
class TopicPartitions {
 public:
  TopicPartitions() = default;
  TopicPartitions(const TopicPartitions&) = delete;
  TopicPartitions& operator=(const TopicPartitions&) = delete;
  ~TopicPartitions() { RdKafka::TopicPartition::destroy(list_); }

  void add(const std::string& topic, std::int32_t partition, std::int64_t offset) {
    list_.reserve(list_.size() + 1);
    list_.push_back(RdKafka::TopicPartition::create(topic, partition, offset));
  }
  bool empty() const { return list_.empty(); }
  std::size_t size() const { return list_.size(); }
  std::vector<RdKafka::TopicPartition*>& get() { return list_; }
  const std::vector<RdKafka::TopicPartition*>& get() const { return list_; }

 private:
  std::vector<RdKafka::TopicPartition*> list_;
};

// Producer errors that mean this instance must stop: another instance holds
// its transactional.id (fenced), or the producer is otherwise unusable.
class FatalKafkaError : public std::runtime_error {
 public:
  FatalKafkaError(const std::string& what, bool fenced)
      : std::runtime_error(what), fenced_(fenced) {}
  bool fenced() const { return fenced_; }

 private:
  bool fenced_;
};

inline bool is_fencing(RdKafka::ErrorCode code) {
  return code == RdKafka::ERR__FENCED || code == RdKafka::ERR_PRODUCER_FENCED ||
         code == RdKafka::ERR_INVALID_PRODUCER_EPOCH;
}

}  // namespace crp::kafka
