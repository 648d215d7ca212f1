// The shape every sink connector has (connectors/<name>/): one effect of the
// engine in, the records of one output topic out. The output router
// (the runtime's OutputRouter) holds one per topic and hands each every
// effect; a sink writes nothing for effects that are not its kind. Built once
// from the service config, stateless, shared by every partition.
#pragma once

#include <string>
#include <vector>

#include "adapter/core/record.h"
#include "adapter/engine/challenge.h"
#include "adapter/engine/effect.h"
#include "adapter/engine/protocol_set.h"
#include "adapter/engine/watch/watched_plan.h"
#include "connectors/subject.h"

namespace crp::connectors {

// What a sink may read about one effect.
struct SinkInput {
  const Effect& effect;
  const ProtocolRuntime* protocol;  // the effect's protocol; null when not loaded
  Subject subject;                  // whom it is about, for addressing and case steps
  // The whole state after the effect, for the board report's facts (history
  // included): the challenge, or the watched plan of a plan's effect; null when unknown.
  const Challenge* challenge;
  const WatchedPlan* plan;
};

// A record a sink could not write, for the dead-letter queue: the router
// dead-letters the input that caused it, or, for a deadline (no input), a
// record whose value is `value`.
struct SinkFailure {
  std::string error_class;
  std::string message;
  std::string value;
};

class Sink {
 public:
  explicit Sink(std::string topic) : topic_(std::move(topic)) {}
  virtual ~Sink() = default;

  const std::string& topic() const { return topic_; }

  // Appends this sink's records for the effect to `out` and what it could not
  // write to `failures`.
  virtual void write(const SinkInput& in, std::vector<Record>& out,
                     std::vector<SinkFailure>& failures) const = 0;

  // Whether the input's trace context (traceparent, tracestate) goes on these
  // records. Facts carry none: they are the board report's, read long after.
  virtual bool traced() const { return true; }

 protected:
  // A record of this sink's topic keyed by what the effect is about (challenge
  // or plan id), so one subject's records stay in order on one partition.
  Record record(const Effect& effect, std::string value, std::vector<Header> headers = {}) const {
    return Record{topic_, effect.subject(), std::move(headers), std::move(value)};
  }

 private:
  std::string topic_;
};

}  // namespace crp::connectors
