// What the sinks that write JSON objects field by field share (escalations,
// the partner outbox): a field with no value is left out, not written empty,
// so a reader tells "not known" from "known to be empty" by presence alone.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>

namespace crp::connectors {

using SinkWriter = rapidjson::Writer<rapidjson::StringBuffer>;

inline void field_if_set(SinkWriter& w, const char* key, const std::string& value) {
  if (value.empty()) return;
  w.Key(key);
  w.String(value);
}

}  // namespace crp::connectors
