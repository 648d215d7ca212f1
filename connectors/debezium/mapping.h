// The declarative Debezium mapping (schemas/debezium-mapping.schema.json):
// per table, where each canonical field comes from and which row changes are
// which events. Loaded once; read-only afterwards.
#pragma once

#include <rapidjson/document.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace date {
class time_zone;
}

namespace crp::connectors::debezium {

// A column value compared as text: strings as they are, numbers as Debezium
// writes them, booleans as true/false; null is its own value.
struct Scalar {
  bool is_null = false;
  std::string text;
  bool operator==(const Scalar&) const = default;
};

// Where a canonical field's value comes from.
struct ValueSpec {
  std::string column;                                        // empty: a constant
  std::string constant;                                      // when column is empty
  std::optional<std::map<std::string, std::string>> values;  // value map
  std::string prefix;
};

struct TimeSpec {
  enum class Format { automatic, epoch_ms, epoch_us, epoch_ns, iso, source_ts };
  Format format = Format::source_ts;
  std::string column;
  const date::time_zone* zone = nullptr;  // the column is local wall-clock time here
};

// Optional canonical fields: the table's, which a rule may override.
struct FieldSpecs {
  std::vector<std::pair<std::string, ValueSpec>> text;  // stage, to_stage, track, agency, …
  std::vector<std::pair<std::string, ValueSpec>>
      flag;  // immediate_risk, cin_plan_evidenced, exemplary, interpreter_needed
  std::optional<TimeSpec> meeting_at;
  std::optional<TimeSpec> conference_at;  // case activity: when the conference starts
};

struct Rule {
  std::string name;
  std::string ops;  // accepted op letters; empty: any
  struct Changed {
    std::string column;
    std::optional<std::vector<Scalar>> from, to;
  };
  std::optional<Changed> changed;
  std::vector<std::pair<std::string, std::vector<Scalar>>> equals;
  std::optional<bool> known;
  std::optional<bool> stage_differs;
  bool ignore = false;
  std::string event;  // canonical type
  FieldSpecs fields;
  std::vector<std::pair<std::string, std::string>> set_text;  // canonical field -> constant
  std::vector<std::pair<std::string, bool>> set_flag;
};

struct TableMapping {
  std::string db, schema, table;  // db and schema empty: any
  std::string label;              // "db.schema.table" as configured, for messages
  // A challenge table maps challenge_id; a case-activity table (issue 19:
  // conference schedules, core groups, visits) maps plan_id instead.
  bool activity = false;
  ValueSpec challenge_id, plan_id, case_id, protocol;
  TimeSpec occurred_at;
  FieldSpecs fields;  // "stage" and "fields"
  std::vector<Rule> rules;
  std::vector<std::string> columns;  // every column named anywhere above, sorted, unique
};

struct Mapping {
  std::string file;
  std::string case_system = "debezium";
  std::vector<TableMapping> tables;
};

// Validates against the schema, then checks what the schema cannot (a table
// listed twice, rule names repeated). Throws json::ConfigError naming `file`,
// the JSON pointer and the reason.
Mapping load_mapping(const rapidjson::Value& doc, const std::string& file);
Mapping load_mapping_file(const std::string& path);

}  // namespace crp::connectors::debezium
