#include "connectors/canonical/canonical_source.h"

#include <rapidjson/document.h>

#include "adapter/json/json.h"

namespace crp::connectors::canonical {

std::optional<InboundEvent> map(const Record& record, EventError& error) {
  rapidjson::Document doc;
  std::string parse_error;
  if (!json::parse(record.value, doc, parse_error)) {
    error = {"crp.NotJson", "value is not JSON: " + parse_error};
    return std::nullopt;
  }
  if (!doc.IsObject()) {
    error = {"crp.SchemaViolation", "canonical event /: wrong type, expected object"};
    return std::nullopt;
  }
  return parse_canonical(doc, error);
}

}  // namespace crp::connectors::canonical
