// Source connector for Debezium change events (connectors/debezium/mapping.h
// says which tables and rows matter and how they map). Rows of tables the
// mapping does not list, and tombstones, are dropped after a scan for the
// source block, before any parse; rows of listed tables are validated as JSON,
// and only the mapped columns are decoded.
#pragma once

#include <string>

#include "connectors/debezium/mapping.h"
#include "connectors/source.h"

namespace crp::connectors::debezium {

class DebeziumSource final : public SourceConnector {
 public:
  explicit DebeziumSource(Mapping mapping) : mapping_(std::move(mapping)) {}
  SourceResult map(const Record& record, const Engine& state) const override;

  const Mapping& mapping() const { return mapping_; }

 private:
  Mapping mapping_;
};

}  // namespace crp::connectors::debezium
