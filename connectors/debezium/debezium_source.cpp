#include "connectors/debezium/debezium_source.h"

#include <date/tz.h>
#include <rapidjson/document.h>
#include <filesystem>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>

#include "adapter/calendar/time.h"
#include "adapter/json/json.h"
#include "connectors/activity/activity_event.h"
#include "connectors/debezium/envelope.h"

namespace crp::connectors::debezium {
namespace {

// The columns of one row image that the table's mapping names, as raw JSON
// spans; every other column is skipped unread.
class Row {
 public:
  Row(const TableMapping& table, std::string_view image)
      : table_(table), cells_(table.columns.size()) {
    const std::size_t b = skip_whitespace(image, 0);
    null_ = image.empty() || image.substr(b, 4) == "null";
    if (null_) return;
    for_each_member(image, [&](const RawString& key, std::string_view value) {
      const std::string decoded = key.escaped ? key.decode() : std::string();
      const std::string_view name = key.escaped ? std::string_view(decoded) : key.raw;
      auto it = std::lower_bound(table_.columns.begin(), table_.columns.end(), name);
      if (it != table_.columns.end() && *it == name) cells_[it - table_.columns.begin()] = value;
      return true;
    });
  }

  bool null() const { return null_; }

  // nullopt when the image has no such column; a null Scalar for JSON null.
  std::optional<Scalar> scalar(const std::string& column) const {
    std::string_view raw = cell(column);
    if (raw.empty()) return std::nullopt;
    if (raw == "null") return Scalar{true, ""};
    if (raw[0] == '"') {
      RawString s;
      read_string(raw, 0, s);
      return Scalar{false, s.decode()};
    }
    return Scalar{false, std::string(raw)};  // number or boolean, as written
  }

  std::string_view cell(const std::string& column) const {
    auto it = std::lower_bound(table_.columns.begin(), table_.columns.end(), column);
    if (it == table_.columns.end() || *it != column) return {};
    return cells_[it - table_.columns.begin()];
  }

 private:
  const TableMapping& table_;
  std::vector<std::string_view> cells_;
  bool null_ = true;
};

std::optional<std::int64_t> integer(std::string_view text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// The Debezium logical type name of `column` in the wrapper's schema, e.g.
// "io.debezium.time.MicroTimestamp"; empty when unknown.
std::string schema_name_of(std::string_view schema, const char* image, const std::string& column) {
  rapidjson::Document d;
  std::string ignored;  // the whole value was checked already; a bad schema just names no type
  if (!json::parse(schema, d, ignored) || !d.IsObject() || !d.HasMember("fields") ||
      !d["fields"].IsArray())
    return {};
  for (const auto& part : d["fields"].GetArray()) {
    if (!part.IsObject() || !part.HasMember("field") || !part["field"].IsString() ||
        std::string_view(part["field"].GetString()) != image || !part.HasMember("fields") ||
        !part["fields"].IsArray()) {
      continue;
    }
    for (const auto& f : part["fields"].GetArray()) {
      if (f.IsObject() && f.HasMember("field") && f["field"].IsString() &&
          column == f["field"].GetString() && f.HasMember("name") && f["name"].IsString()) {
        return f["name"].GetString();
      }
    }
  }
  return {};
}

// Instants the canonical format can carry: years 1970 to 9999.
constexpr std::int64_t kMaxMillis = 253402300799999;

class Mapper {
 public:
  Mapper(const Mapping& mapping, const TableMapping& table, const Envelope& env, char op,
         const Engine& state, rapidjson::Document* trace)
      : trace_(trace),
        mapping_(mapping),
        table_(table),
        env_(env),
        op_(op),
        state_(state),
        before_(table, env.before),
        after_(table, env.after),
        image_(op == 'd' ? before_ : after_) {}

  SourceResult run() {
    if (image_.null())
      return schema_error(op_ == 'd' ? "/before is null on a delete" : "/after is null");
    for (const Rule& r : table_.rules) {
      rule_ = &r;
      std::optional<bool> matched = matches(r);
      if (!matched) return failure();
      if (!*matched) continue;
      if (r.ignore) return SourceResult::drop();
      return build(r);
    }
    return SourceResult::drop();  // a row change of a listed table that no rule is about
  }

 private:
  enum class Got { value, absent, failed };

  std::optional<bool> matches(const Rule& r) {
    if (!r.ops.empty() && r.ops.find(op_) == std::string::npos) return false;
    if (r.changed) {
      Scalar was{true, ""}, now{true, ""};
      if (op_ == 'u' && before_.null()) {
        fail("when/changed",
             "needs the before image of an update (PostgreSQL: REPLICA IDENTITY FULL)");
        return std::nullopt;
      }
      if (!before_.null() && !take(before_, r.changed->column, was, "when/changed"))
        return std::nullopt;
      if (!after_.null() && !take(after_, r.changed->column, now, "when/changed"))
        return std::nullopt;
      if (was == now) return false;
      if (r.changed->from && !contains(*r.changed->from, was)) return false;
      if (r.changed->to && !contains(*r.changed->to, now)) return false;
    }
    for (const auto& [column, accepted] : r.equals) {
      Scalar v;
      if (!take(image_, column, v, "when/equals")) return std::nullopt;
      if (!contains(accepted, v)) return false;
    }
    if (r.known || r.stage_differs) {
      std::string id;
      if (resolve(table_.challenge_id, "challenge_id", true, id) != Got::value) return std::nullopt;
      const Challenge* open = state_.find(id);
      if (r.known && (open != nullptr) != *r.known) return false;
      if (r.stage_differs) {
        const ValueSpec* spec = field_spec(r, "to_stage");
        if (!spec) spec = field_spec(r, "stage");
        std::string stage;
        if (!spec) {
          fail("when/stage_differs", "the rule maps no to_stage or stage to compare");
          return std::nullopt;
        }
        if (resolve(*spec, "when/stage_differs", true, stage) != Got::value) return std::nullopt;
        const bool differs = open != nullptr && open->stage != stage;
        if (differs != *r.stage_differs) return false;
      }
    }
    return true;
  }

  // The rule's own spec for a field, else the table's.
  const ValueSpec* field_spec(const Rule& r, const std::string& name) const {
    for (const auto* list : {&r.fields.text, &table_.fields.text}) {
      for (const auto& [field, spec] : *list) {
        if (field == name) return &spec;
      }
    }
    return nullptr;
  }

  static bool contains(const std::vector<Scalar>& list, const Scalar& v) {
    return std::find(list.begin(), list.end(), v) != list.end();
  }

  bool take(const Row& row, const std::string& column, Scalar& out, const char* field) {
    auto v = row.scalar(column);
    if (!v) {
      fail(field, "column " + column + " is not in the row");
      return false;
    }
    out = std::move(*v);
    return true;
  }

  Got resolve(const ValueSpec& spec, const char* field, bool required, std::string& out) {
    std::string text;
    if (spec.column.empty()) {
      text = spec.constant;
    } else {
      auto v = image_.scalar(spec.column);
      if (!v) return failed(field, "column " + spec.column + " is not in the row");
      if (v->is_null) {
        if (required) return failed(field, "column " + spec.column + " is null");
        return Got::absent;
      }
      text = std::move(v->text);
    }
    if (spec.values) {
      auto it = spec.values->find(text);
      if (it == spec.values->end()) {
        return failed(field, "the value of column " + spec.column + " is not in the value map");
      }
      text = it->second;
    }
    out = spec.prefix + text;
    return Got::value;
  }

  Got resolve_time(const TimeSpec& spec, const char* field, bool required, Instant& out) {
    std::int64_t millis = 0;
    bool wall_clock = false;  // a number without an offset
    if (spec.format == TimeSpec::Format::source_ts) {
      std::optional<std::int64_t> ts;
      for_each_member(env_.source, [&](const RawString& key, std::string_view value) {
        if (key.equals("ts_ms")) ts = integer(value);
        return !ts;
      });
      if (!ts) return failed(field, "source.ts_ms is missing or not an integer");
      millis = *ts;
    } else {
      std::string_view raw = image_.cell(spec.column);
      if (raw.empty()) return failed(field, "column " + spec.column + " is not in the row");
      if (raw == "null") {
        if (required) return failed(field, "column " + spec.column + " is null");
        return Got::absent;
      }
      TimeSpec::Format format = spec.format;
      if (raw[0] == '"') {
        if (format != TimeSpec::Format::automatic && format != TimeSpec::Format::iso) {
          return failed(field, "column " + spec.column + " is text, not an epoch number");
        }
        auto at = parse_iso8601(image_.scalar(spec.column)->text);
        if (!at) return failed(field, "column " + spec.column + " is not ISO 8601 with an offset");
        millis = at->time_since_epoch().count();
      } else {
        if (format == TimeSpec::Format::iso) {
          return failed(field, "column " + spec.column + " is a number, not ISO 8601 text");
        }
        wall_clock = true;
        auto n = integer(raw);
        if (!n) return failed(field, "column " + spec.column + " is not an integer");
        std::int64_t per_milli = 1, days = 0;
        if (format == TimeSpec::Format::automatic) {
          const std::string name =
              env_.wrapped
                  ? schema_name_of(env_.schema, op_ == 'd' ? "before" : "after", spec.column)
                  : "";
          if (name == "io.debezium.time.MicroTimestamp")
            format = TimeSpec::Format::epoch_us;
          else if (name == "io.debezium.time.NanoTimestamp")
            format = TimeSpec::Format::epoch_ns;
          else if (name == "io.debezium.time.Date" || name == "org.apache.kafka.connect.data.Date")
            days = 1;
          else
            format = TimeSpec::Format::epoch_ms;
        }
        if (format == TimeSpec::Format::epoch_us) per_milli = 1000;
        if (format == TimeSpec::Format::epoch_ns) per_milli = 1000000;
        if (days) {
          if (*n < 0 || *n > kMaxMillis / 86400000)
            return failed(field, "column " + spec.column + " is out of range");
          millis = *n * 86400000;
        } else {
          millis = *n / per_milli;
        }
      }
    }
    if (millis < 0 || millis > kMaxMillis) return failed(field, "the instant is out of range");
    if (spec.zone && wall_clock) {
      // Wall-clock time written as if UTC: ask the zone what it meant (an
      // ambiguous hour takes the earlier instant, like the calendar does).
      const date::local_time<std::chrono::milliseconds> local{std::chrono::milliseconds(millis)};
      millis = spec.zone->to_sys(local, date::choose::earliest).time_since_epoch().count();
      if (millis < 0 || millis > kMaxMillis) return failed(field, "the instant is out of range");
    }
    out = Instant(std::chrono::milliseconds(millis));
    return Got::value;
  }

  // A stable id, so Debezium's at-least-once redelivery is recognised by the
  // engine as a repeat: the change's position in the database log.
  std::string event_id(const std::string& challenge_id) const {
    static constexpr std::string_view kPosition[] = {
        "change_lsn", "event_serial_no", "scn", "lsn", "file", "pos", "row"};
    std::string position[std::size(kPosition)];
    std::string ts;
    for_each_member(env_.source, [&](const RawString& key, std::string_view value) {
      for (std::size_t i = 0; i < std::size(kPosition); ++i) {
        if (!key.equals(kPosition[i]) || value == "null") continue;
        RawString s;
        position[i] = value[0] == '"' && read_string(value, 0, s) != std::string_view::npos
                          ? s.decode()
                          : std::string(value);
      }
      if (key.equals("ts_ms")) ts = value;
      return true;
    });
    std::string at;
    for (const auto& p : position) {
      if (!p.empty()) at += (at.empty() ? "" : "/") + p;
    }
    if (at.empty()) at = "ts" + ts;
    std::string id =
        "dbz:" + table_.label + ":" + challenge_id + ":" + at + ":" + op_ + ":" + rule_->name;
    if (id.size() > 200) {
      // The canonical limit; a digest keeps it stable (FNV-1a 64).
      std::uint64_t h = 1469598103934665603ULL;
      for (unsigned char c : id) h = (h ^ c) * 1099511628211ULL;
      char hex[17];
      std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
      id = "dbz:" + std::string(hex);
    }
    return id;
  }

  SourceResult build(const Rule& r) {
    rapidjson::Document doc(rapidjson::kObjectType);
    auto& a = doc.GetAllocator();
    auto put = [&](const char* name, const std::string& v) {
      doc.AddMember(rapidjson::StringRef(name),
                    rapidjson::Value(v.c_str(), static_cast<rapidjson::SizeType>(v.size()), a), a);
    };
    // The challenge, or for a case-activity table the plan, the row is about.
    const char* id_field = table_.activity ? "plan_id" : "challenge_id";
    std::string challenge_id, case_id, protocol;
    if (resolve(table_.activity ? table_.plan_id : table_.challenge_id, id_field, true,
                challenge_id) != Got::value ||
        resolve(table_.case_id, "case_id", true, case_id) != Got::value ||
        resolve(table_.protocol, "protocol", true, protocol) != Got::value) {
      return failure();
    }
    Instant occurred_at{};
    if (resolve_time(table_.occurred_at, "occurred_at", true, occurred_at) != Got::value)
      return failure();
    put("type", r.event);
    put("event_id", event_id(challenge_id));
    put("occurred_at", format_iso8601(occurred_at));
    put(id_field, challenge_id);
    put("case_id", case_id);
    put("protocol", protocol);

    // The table's fields, each overridden by the rule's, then by its constants.
    std::vector<const std::pair<std::string, ValueSpec>*> text_specs, flag_specs;
    auto overlay = [](auto& specs, const auto& list) {
      for (const auto& entry : list) {
        auto it = std::find_if(specs.begin(), specs.end(),
                               [&](const auto* e) { return e->first == entry.first; });
        if (it != specs.end())
          *it = &entry;
        else
          specs.push_back(&entry);
      }
    };
    overlay(text_specs, table_.fields.text);
    overlay(text_specs, r.fields.text);
    overlay(flag_specs, table_.fields.flag);
    overlay(flag_specs, r.fields.flag);

    std::vector<std::pair<std::string, std::string>> texts;
    for (const auto* spec : text_specs) {
      std::string v;
      Got g = resolve(spec->second, spec->first.c_str(), false, v);
      if (g == Got::failed) return failure();
      if (g == Got::value) texts.emplace_back(spec->first, v);
    }
    for (const auto& constant : r.set_text) {
      auto it = std::find_if(texts.begin(), texts.end(),
                             [&](const auto& t) { return t.first == constant.first; });
      if (it != texts.end())
        it->second = constant.second;
      else
        texts.push_back(constant);
    }
    for (const auto& [name, v] : texts) put(name.c_str(), v);

    std::vector<std::pair<std::string, bool>> flags;
    for (const auto* spec : flag_specs) {
      std::string v;
      Got g = resolve(spec->second, spec->first.c_str(), false, v);
      if (g == Got::failed) return failure();
      if (g != Got::value) continue;
      if (v != "true" && v != "false") {
        fail(spec->first.c_str(), "the value is not true or false (map it with values)");
        return failure();
      }
      flags.emplace_back(spec->first, v == "true");
    }
    for (const auto& constant : r.set_flag) {
      auto it = std::find_if(flags.begin(), flags.end(),
                             [&](const auto& f) { return f.first == constant.first; });
      if (it != flags.end())
        it->second = constant.second;
      else
        flags.push_back(constant);
    }
    for (const auto& [name, v] : flags) doc.AddMember(rapidjson::StringRef(name.c_str()), v, a);

    const std::optional<TimeSpec>& meeting =
        r.fields.meeting_at ? r.fields.meeting_at : table_.fields.meeting_at;
    if (meeting) {
      Instant at{};
      Got g = resolve_time(*meeting, "meeting_at", false, at);
      if (g == Got::failed) return failure();
      if (g == Got::value) put("meeting_at", format_iso8601(at));
    }
    const std::optional<TimeSpec>& conference =
        r.fields.conference_at ? r.fields.conference_at : table_.fields.conference_at;
    if (conference) {
      Instant at{};
      Got g = resolve_time(*conference, "conference_at", false, at);
      if (g == Got::failed) return failure();
      if (g == Got::value) put("conference_at", format_iso8601(at));
    }
    rapidjson::Value source(rapidjson::kObjectType);
    source.AddMember("system", rapidjson::Value(mapping_.case_system.c_str(), a), a);
    source.AddMember("table", rapidjson::Value(table_.label.c_str(), a), a);
    source.AddMember("rule", rapidjson::Value(r.name.c_str(), a), a);
    doc.AddMember("source", source, a);

    // Through text: the document's names point into this function's locals.
    if (trace_) trace_->Parse(json::to_string(doc).c_str());
    EventError error;
    std::optional<InboundEvent> event = parse_canonical(doc, error);
    if (!event) {
      return SourceResult::fail("crp.MappingError",
                                where("result") + ": the mapped " + error.message);
    }
    // Before this engine knew an activity type it read it as another: never pass that on.
    if (auto why = activity::type_not_understood(r.event, *event))
      return SourceResult::fail("crp.MappingError", where("result") + ": " + *why);
    return SourceResult::ok(std::move(*event));
  }

  std::string where(const char* field) const {
    // The file's name, not its path: the same record dead-letters with the same
    // message on every host, and the DLQ does not reveal the deployment's layout.
    std::string w = "debezium mapping " + std::filesystem::path(mapping_.file).filename().string() +
                    " table " + table_.label;
    if (rule_) w += " rule '" + rule_->name + "'";
    return w + " field " + field;
  }

  void fail(const char* field, const std::string& problem) {
    error_ = where(field) + ": " + problem;
  }
  Got failed(const char* field, const std::string& problem) {
    fail(field, problem);
    return Got::failed;
  }
  SourceResult failure() const { return SourceResult::fail("crp.MappingError", error_); }
  SourceResult schema_error(const std::string& problem) const {
    return SourceResult::fail("crp.SchemaViolation",
                              "debezium event of table " + table_.label + ": " + problem);
  }

  rapidjson::Document* trace_;  // receives the canonical document, when set
  const Mapping& mapping_;
  const TableMapping& table_;
  const Envelope& env_;
  const char op_;
  const Engine& state_;
  const Row before_, after_;
  const Row& image_;
  const Rule* rule_ = nullptr;
  std::string error_;
};

const TableMapping* find_table(const Mapping& mapping, const Envelope& env) {
  for (const TableMapping& t : mapping.tables) {
    if (!env.table.equals(t.table)) continue;
    if (!t.schema.empty() && !env.schema_name.equals(t.schema)) continue;
    if (!t.db.empty() && !env.db.equals(t.db)) continue;
    return &t;
  }
  return nullptr;
}

}  // namespace

SourceResult DebeziumSource::map(const Record& record, const Engine& state,
                                 rapidjson::Document* canonical) const {
  const Envelope env = scan_envelope(record.value);
  if (env.kind == Envelope::Kind::tombstone) return SourceResult::drop();  // log compaction marker
  // A SAX pass, no DOM: iterative, depth- and size-limited, UTF-8 and
  // duplicate keys checked (adapter/json/json.h), so no row can crash a walk.
  std::string not_json;
  if (env.kind == Envelope::Kind::malformed) {
    if (!json::check(record.value, not_json))
      return SourceResult::fail("crp.NotJson", "value is not JSON: " + not_json);
    return SourceResult::fail("crp.SchemaViolation", std::string("debezium event: ") + env.problem);
  }
  const TableMapping* table = find_table(mapping_, env);
  if (!table) return SourceResult::drop();
  // Only now is the whole value checked: a listed table's row must be JSON.
  if (!json::check(record.value, not_json))
    return SourceResult::fail("crp.NotJson", "value is not JSON: " + not_json);
  const std::string op = env.op.decode();
  if (op.empty()) {
    return SourceResult::fail("crp.SchemaViolation",
                              "debezium event of table " + table->label + ": op is missing");
  }
  if (op != "c" && op != "u" && op != "d" && op != "r")
    return SourceResult::drop();  // truncate, message
  return Mapper(mapping_, *table, env, op[0], state, canonical).run();
}

}  // namespace crp::connectors::debezium
