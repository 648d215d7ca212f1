#include "connectors/debezium/mapping.h"

#include <date/tz.h>

#include <algorithm>
#include <string_view>

#include "adapter/json/json.h"
#include "adapter/json/schema_registry.h"

namespace crp::connectors::debezium {
namespace {

using json::ConfigError;

// Case-activity events (issue 19) belong to a plan, every other to a challenge.
bool is_activity_type(const std::string& event) {
  static constexpr std::string_view kActivity[] = {"conference.scheduled",
                                                   "conference.held",
                                                   "conference.cancelled",
                                                   "report.shared",
                                                   "consultation_form.completed",
                                                   "interpreter.booked",
                                                   "core_group.held",
                                                   "child.seen",
                                                   "plan.ended",
                                                   "watch.suggestion_dismissed"};
  return std::find(std::begin(kActivity), std::end(kActivity), event) != std::end(kActivity);
}

std::string str(const rapidjson::Value& v) {
  return std::string(v.GetString(), v.GetStringLength());
}

Scalar scalar(const rapidjson::Value& v) {
  if (v.IsNull()) return {true, ""};
  if (v.IsString()) return {false, str(v)};
  if (v.IsBool()) return {false, v.GetBool() ? "true" : "false"};
  return {false, json::to_string(v)};  // a number, as written
}

std::vector<Scalar> scalars(const rapidjson::Value& array) {
  std::vector<Scalar> out;
  for (const auto& v : array.GetArray()) out.push_back(scalar(v));
  return out;
}

ValueSpec value_spec(const rapidjson::Value& v) {
  ValueSpec s;
  if (v.HasMember("column")) s.column = str(v["column"]);
  if (v.HasMember("constant")) s.constant = str(v["constant"]);
  if (v.HasMember("prefix")) s.prefix = str(v["prefix"]);
  if (v.HasMember("values")) {
    s.values.emplace();
    for (auto m = v["values"].MemberBegin(); m != v["values"].MemberEnd(); ++m) {
      s.values->emplace(str(m->name), str(m->value));
    }
  }
  return s;
}

TimeSpec time_spec(const rapidjson::Value& v, const std::string& file, const std::string& at) {
  TimeSpec t;
  t.format = TimeSpec::Format::automatic;
  if (v.HasMember("column")) t.column = str(v["column"]);
  if (v.HasMember("format")) {
    const std::string f = str(v["format"]);
    t.format = f == "epoch_ms"    ? TimeSpec::Format::epoch_ms
               : f == "epoch_us"  ? TimeSpec::Format::epoch_us
               : f == "epoch_ns"  ? TimeSpec::Format::epoch_ns
               : f == "iso"       ? TimeSpec::Format::iso
               : f == "source_ts" ? TimeSpec::Format::source_ts
                                  : TimeSpec::Format::automatic;
  }
  if (v.HasMember("zone")) {
    try {
      t.zone = date::locate_zone(str(v["zone"]));
    } catch (const std::exception&) {
      throw ConfigError(file, at + "/zone",
                        "unknown time zone (an IANA name such as Europe/London)");
    }
  }
  if (t.format == TimeSpec::Format::source_ts && (!t.column.empty() || t.zone)) {
    throw ConfigError(file, at + "/column",
                      "format source_ts reads source.ts_ms and takes no column");
  }
  if (t.format != TimeSpec::Format::source_ts && t.column.empty()) {
    throw ConfigError(file, at, "a column is needed (or format source_ts)");
  }
  return t;
}

void read_fields(const rapidjson::Value& v, const std::string& file, const std::string& at,
                 FieldSpecs& into) {
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    const std::string name = str(m->name);
    if (name == "meeting_at") {
      into.meeting_at = time_spec(m->value, file, at + "/meeting_at");
    } else if (name == "conference_at") {
      into.conference_at = time_spec(m->value, file, at + "/conference_at");
    } else if (name == "immediate_risk" || name == "cin_plan_evidenced" || name == "exemplary" ||
               name == "interpreter_needed") {
      into.flag.emplace_back(name, value_spec(m->value));
    } else {
      into.text.emplace_back(name, value_spec(m->value));
    }
  }
}

Rule rule(const rapidjson::Value& v, const std::string& file, const std::string& at) {
  Rule r;
  r.name = str(v["name"]);
  const auto& when = v["when"];
  if (when.HasMember("op")) {
    for (const auto& op : when["op"].GetArray()) r.ops += op.GetString()[0];
  }
  if (when.HasMember("changed")) {
    const auto& c = when["changed"];
    Rule::Changed changed;
    changed.column = str(c["column"]);
    if (c.HasMember("from")) changed.from = scalars(c["from"]);
    if (c.HasMember("to")) changed.to = scalars(c["to"]);
    r.changed = std::move(changed);
  }
  if (when.HasMember("equals")) {
    for (auto m = when["equals"].MemberBegin(); m != when["equals"].MemberEnd(); ++m) {
      r.equals.emplace_back(str(m->name), scalars(m->value));
    }
  }
  if (when.HasMember("known")) r.known = when["known"].GetBool();
  if (when.HasMember("stage_differs")) r.stage_differs = when["stage_differs"].GetBool();
  r.ignore = v.HasMember("ignore");
  if (v.HasMember("event")) r.event = str(v["event"]);
  if (v.HasMember("fields")) read_fields(v["fields"], file, at + "/fields", r.fields);
  if (v.HasMember("set")) {
    for (auto m = v["set"].MemberBegin(); m != v["set"].MemberEnd(); ++m) {
      if (m->value.IsBool()) {
        r.set_flag.emplace_back(str(m->name), m->value.GetBool());
      } else {
        r.set_text.emplace_back(str(m->name), str(m->value));
      }
    }
  }
  return r;
}

void add_column(std::vector<std::string>& columns, const std::string& c) {
  if (!c.empty()) columns.push_back(c);
}

TableMapping table(const rapidjson::Value& v, const std::string& file, const std::string& at) {
  TableMapping t;
  const auto& source = v["source"];
  if (source.HasMember("db")) t.db = str(source["db"]);
  if (source.HasMember("schema")) t.schema = str(source["schema"]);
  t.table = str(source["table"]);
  t.label = (t.db.empty() ? "" : t.db + ".") + (t.schema.empty() ? "" : t.schema + ".") + t.table;
  t.activity = v.HasMember("plan_id");
  if (t.activity)
    t.plan_id = value_spec(v["plan_id"]);
  else
    t.challenge_id = value_spec(v["challenge_id"]);
  t.case_id = value_spec(v["case_id"]);
  t.protocol = value_spec(v["protocol"]);
  if (v.HasMember("stage")) t.fields.text.emplace_back("stage", value_spec(v["stage"]));
  if (v.HasMember("occurred_at"))
    t.occurred_at = time_spec(v["occurred_at"], file, at + "/occurred_at");
  if (v.HasMember("fields")) read_fields(v["fields"], file, at + "/fields", t.fields);
  const auto& rules = v["rules"];
  for (rapidjson::SizeType i = 0; i < rules.Size(); ++i) {
    const std::string rule_at = json::pointer_append(at + "/rules", i);
    Rule r = rule(rules[i], file, rule_at);
    if (!r.ignore && is_activity_type(r.event) != t.activity) {
      throw ConfigError(file, rule_at + "/event",
                        t.activity
                            ? "'" + r.event + "' is a challenge event: this table maps plan_id"
                            : "'" + r.event +
                                  "' is a case-activity event: its table maps plan_id, "
                                  "not challenge_id");
    }
    if (t.activity && (r.known || r.stage_differs)) {
      throw ConfigError(file, rule_at + "/when",
                        "known and stage_differs ask about a challenge: this table maps plan_id");
    }
    for (const Rule& earlier : t.rules) {
      if (earlier.name == r.name) {
        throw ConfigError(file, json::pointer_append(at + "/rules", i) + "/name",
                          "rule name '" + r.name + "' used twice in this table");
      }
    }
    t.rules.push_back(std::move(r));
  }

  auto& c = t.columns;
  for (const ValueSpec* s : {&t.challenge_id, &t.plan_id, &t.case_id, &t.protocol})
    add_column(c, s->column);
  add_column(c, t.occurred_at.column);
  auto add_fields = [&](const FieldSpecs& f) {
    for (const auto& [name, s] : f.text) add_column(c, s.column);
    for (const auto& [name, s] : f.flag) add_column(c, s.column);
    if (f.meeting_at) add_column(c, f.meeting_at->column);
    if (f.conference_at) add_column(c, f.conference_at->column);
  };
  add_fields(t.fields);
  for (const Rule& r : t.rules) {
    add_fields(r.fields);
    if (r.changed) add_column(c, r.changed->column);
    for (const auto& [column, accepted] : r.equals) add_column(c, column);
  }
  std::sort(c.begin(), c.end());
  c.erase(std::unique(c.begin(), c.end()), c.end());
  return t;
}

}  // namespace

Mapping load_mapping(const rapidjson::Value& doc, const std::string& file) {
  if (auto v = json::validate("debezium-mapping.schema.json", doc)) {
    throw ConfigError(file, v->document_pointer, v->message);
  }
  Mapping m;
  m.file = file;
  if (doc.HasMember("case_system")) m.case_system = str(doc["case_system"]);
  const auto& tables = doc["tables"];
  for (rapidjson::SizeType i = 0; i < tables.Size(); ++i) {
    const std::string at = json::pointer_append("/tables", i);
    TableMapping t = table(tables[i], file, at);
    for (const TableMapping& earlier : m.tables) {
      if (earlier.db == t.db && earlier.schema == t.schema && earlier.table == t.table) {
        throw ConfigError(file, at + "/source", "table " + t.label + " is mapped twice");
      }
    }
    m.tables.push_back(std::move(t));
  }
  return m;
}

Mapping load_mapping_file(const std::string& path) {
  return load_mapping(json::parse_file(path), path);
}

}  // namespace crp::connectors::debezium
