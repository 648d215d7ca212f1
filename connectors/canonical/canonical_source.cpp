#include "connectors/canonical/canonical_source.h"

#include <rapidjson/document.h>

#include "adapter/json/json.h"

namespace crp::connectors::canonical {

SourceResult CanonicalSource::map(const Record& record, const Engine&) const {
  rapidjson::Document doc;
  std::string parse_error;
  if (!json::parse(record.value, doc, parse_error)) return SourceResult::fail("crp.NotJson", "value is not JSON: " + parse_error);
  if (!doc.IsObject()) return SourceResult::fail("crp.SchemaViolation", "canonical event /: wrong type, expected object");
  EventError error;
  std::optional<InboundEvent> event = parse_canonical(doc, error);
  if (!event) return {std::nullopt, std::move(error), false};
  return SourceResult::ok(std::move(*event));
}

}  // namespace crp::connectors::canonical
