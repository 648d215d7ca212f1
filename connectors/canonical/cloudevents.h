// CloudEvents 1.0 on Kafka (the Kafka protocol binding) for canonical inputs:
// binary mode (ce_* headers, the value is the event) or structured mode
// (content-type application/cloudevents+json, the event in "data"). A record
// with neither is a plain canonical event.
//
// Also the one writer of the events the service sends: escalations in binary
// mode (the output router), partner webhooks, Notify and partner operations
// events in structured mode (the delivery path), so every event has the same
// attributes in the same order.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/core/record.h"

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

// Binary mode: ce_specversion, ce_id, ce_source, ce_type, ce_subject, ce_time,
// then content-type application/json; the record value is the data.
std::vector<Header> binary_headers(const CloudEvent& event);

// Structured mode: {specversion, id, source, type, subject, time (left out
// when empty), datacontenttype "application/json", data}. `data` writes the
// members of the data object (the writer is inside it).
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;
std::string structured_event(const CloudEvent& event, const std::function<void(JsonWriter&)>& data);

// Whether a CloudEvents type names the canonical type: equal, or ending in
// "." + canonical (a reverse-DNS prefix such as uk.gov.crp.).
bool type_agrees(std::string_view ce_type, std::string_view canonical_type);

}  // namespace crp::connectors::canonical
