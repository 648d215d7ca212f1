// CloudEvents 1.0 on Kafka (the Kafka protocol binding) for canonical inputs:
// binary mode (ce_* headers, the value is the event) or structured mode
// (content-type application/cloudevents+json, the event in "data"). A record
// with neither is a plain canonical event.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>
#include <vector>

#include "adapter/runtime/record.h"

namespace crp::connectors::canonical {

struct CloudEvent {
  enum class Mode { none, binary, structured };
  Mode mode = Mode::none;
  std::string id, source, type, subject, time;
};

// Reads the record's CloudEvents attributes. In structured mode `data` gets
// the event's "data" member (a canonical event object); otherwise `data` is
// left alone and the record value is the event. Returns false with `error` set
// (a sentence naming the attribute, never its value) when the record claims to
// be a CloudEvent but is not a valid one.
bool read_cloudevent(const Record& record, CloudEvent& out, rapidjson::Document& data,
                     std::string& error);

// Whether a CloudEvents type names the canonical type: equal, or ending in
// "." + canonical (a reverse-DNS prefix such as uk.gov.crp.).
bool type_agrees(std::string_view ce_type, std::string_view canonical_type);

}  // namespace crp::connectors::canonical
