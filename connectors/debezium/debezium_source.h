// Source connector for Debezium change events (connectors/debezium/mapping.h
// says which tables and rows matter and how they map). Rows of tables the
// mapping does not list, and tombstones, are dropped after a scan for the
// source block, before any parse; rows of listed tables are validated as JSON,
// and only the mapped columns are decoded.
#pragma once

#include <rapidjson/document.h>

#include <string>

#include "connectors/debezium/mapping.h"
#include "connectors/source.h"

namespace crp::connectors::debezium {

class DebeziumSource final : public SourceConnector {
 public:
  explicit DebeziumSource(Mapping mapping) : mapping_(std::move(mapping)) {}
  SourceResult map(const Record& record, const Engine& state) const override {
    return map(record, state, nullptr);
  }
  // The same; a mapped row's canonical document is also copied to `canonical`
  // (when not null), so golden tests show every canonical field the row gave,
  // whatever the engine keeps of it.
  SourceResult map(const Record& record, const Engine& state, rapidjson::Document* canonical) const;

  const Mapping& mapping() const { return mapping_; }

 private:
  Mapping mapping_;
};

}  // namespace crp::connectors::debezium
