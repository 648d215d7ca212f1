#include "adapter/infra/kafka/acknowledged_producer.h"

#include <stdexcept>

namespace crp::kafka {

void AcknowledgedProducer::Failures::dr_cb(RdKafka::Message& m) {
  if (m.err() != RdKafka::ERR_NO_ERROR) ++failed, last = m.errstr();
}

AcknowledgedProducer::AcknowledgedProducer(ConfPtr conf) {
  std::string error;
  for (const auto& [key, value] : {std::pair{"enable.idempotence", "true"}, {"acks", "all"}}) {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK)
      throw std::logic_error("librdkafka rejected built-in setting " + std::string(key) + ": " +
                             error);
  }
  if (conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(&failures_), error) !=
      RdKafka::Conf::CONF_OK)
    throw std::logic_error(error);
  producer_.reset(RdKafka::Producer::create(conf.get(), error));
  if (!producer_) throw std::runtime_error("cannot create the producer: " + error);
}

void AcknowledgedProducer::produce(const std::string& topic, std::int32_t partition,
                                   const std::string& key, const std::string& value) {
  for (;;) {
    RdKafka::ErrorCode e = producer_->produce(topic, partition, RdKafka::Producer::RK_MSG_COPY,
                                              const_cast<char*>(value.data()), value.size(),
                                              key.data(), key.size(), 0, nullptr);
    if (e == RdKafka::ERR_NO_ERROR) return;
    if (e != RdKafka::ERR__QUEUE_FULL)
      throw std::runtime_error("cannot produce to " + topic + ": " + RdKafka::err2str(e));
    producer_->poll(10);
  }
}

void AcknowledgedProducer::flush(const std::string& what) {
  if (RdKafka::ErrorCode e = producer_->flush(60000);
      e != RdKafka::ERR_NO_ERROR || producer_->outq_len() > 0)
    throw std::runtime_error(what + " not acknowledged by Kafka: " + RdKafka::err2str(e));
  producer_->poll(0);  // the last delivery reports
  if (failures_.failed > 0)
    throw std::runtime_error(std::to_string(failures_.failed) + " " + what +
                             " were not written: " + failures_.last);
}

}  // namespace crp::kafka
