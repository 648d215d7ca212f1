// Source connector for the canonical format (schemas/inbound/canonical.schema.json):
// the record value is already a canonical event.
#pragma once

#include "connectors/source.h"

namespace crp::connectors::canonical {

class CanonicalSource final : public SourceConnector {
 public:
  SourceResult map(const Record& record, const Engine& state) const override;
};

}  // namespace crp::connectors::canonical
