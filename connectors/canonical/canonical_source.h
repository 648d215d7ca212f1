// Source connector for the canonical format (schemas/inbound/canonical.schema.json):
// the record value is already a canonical event.
#pragma once

#include <optional>

#include "adapter/engine/inbound_event.h"
#include "adapter/runtime/record.h"

namespace crp::connectors::canonical {

std::optional<InboundEvent> map(const Record& record, EventError& error);

}  // namespace crp::connectors::canonical
