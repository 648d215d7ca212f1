// Loads and checks protocol files. A protocol that would misbehave refuses to
// load, naming the file, the JSON pointer and the reason (json::ConfigError).
#pragma once

#include <rapidjson/document.h>

#include <string>

#include "adapter/engine/protocol.h"

namespace crp {

// `file` is only used in error messages.
Protocol load_protocol(const rapidjson::Value& doc, const std::string& file);
Protocol load_protocol_file(const std::string& path);
// One `deadline` object ({amount, unit, roll_to_working_day}), schema-checked.
Deadline parse_deadline(const rapidjson::Value& d);

}  // namespace crp
