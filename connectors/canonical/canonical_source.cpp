#include "connectors/canonical/canonical_source.h"

#include <rapidjson/document.h>

#include "adapter/json/json.h"
#include "connectors/canonical/cloudevents.h"

namespace crp::connectors::canonical {

SourceResult CanonicalSource::map(const Record& record, const Engine&) const {
  rapidjson::Document doc;
  CloudEvent ce;
  std::string ce_error;
  if (!read_cloudevent(record, ce, doc, ce_error))
    return SourceResult::fail("crp.CloudEventsViolation", ce_error);
  std::string parse_error;
  if (ce.mode != CloudEvent::Mode::structured && !json::parse(record.value, doc, parse_error)) {
    return SourceResult::fail("crp.NotJson", "value is not JSON: " + parse_error);
  }
  if (!doc.IsObject())
    return SourceResult::fail("crp.SchemaViolation",
                              "canonical event /: wrong type, expected object");
  // The envelope and the event must not disagree about what happened.
  if (ce.mode != CloudEvent::Mode::none && doc.HasMember("type") && doc["type"].IsString() &&
      !type_agrees(ce.type, doc["type"].GetString())) {
    return SourceResult::fail("crp.CloudEventsViolation",
                              "CloudEvents type does not agree with the event's type");
  }
  EventError error;
  std::optional<InboundEvent> event = parse_canonical(doc, error);
  if (!event) return {std::nullopt, std::move(error), false};
  return SourceResult::ok(std::move(*event));
}

}  // namespace crp::connectors::canonical
