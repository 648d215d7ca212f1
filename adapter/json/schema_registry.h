// The JSON Schemas under schemas/, compiled into the binary (see
// cmake/embed_schemas.cmake) and validated with RapidJSON's draft-04 validator.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>

namespace crp::json {

struct SchemaViolation {
  std::string document_pointer;  // where in the document, e.g. "/stages/2/to"
  std::string keyword;           // the schema keyword that failed, e.g. "required"
  std::string message;           // a sentence for people
};

// Validates `doc` against the schema at `name` (its path under schemas/,
// e.g. "protocol.schema.json"). Returns the first violation, or nullopt.
// Throws std::logic_error when the schema does not exist (a programming error).
// Thread-safe: schemas are compiled once and shared read-only.
std::optional<SchemaViolation> validate(const std::string& name, const rapidjson::Value& doc);

// The raw text of an embedded schema (for `crp-adapter schema NAME`).
const std::string& schema_text(const std::string& name);

}  // namespace crp::json
