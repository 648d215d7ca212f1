// Reads and checks a protocol file's `watch` section (schemas/protocol.schema.json).
#pragma once

#include <rapidjson/document.h>

#include <string>

#include "adapter/engine/protocol.h"

namespace crp {

// Fills `p.watch` from the document; the stages and roles must already be
// loaded. Throws json::ConfigError (file, JSON pointer, reason) when a rule
// names an unknown stage, role or check, or lacks what its kind needs.
void load_watch(const rapidjson::Value& doc, Protocol& p, const std::string& file);

}  // namespace crp
