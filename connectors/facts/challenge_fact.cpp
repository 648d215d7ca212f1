#include "connectors/facts/challenge_fact.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "adapter/json/json.h"
#include "connectors/facts/fact_codes.h"
#include "connectors/facts/fact_reader.h"

namespace crp::connectors::facts {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void strings(Writer& w, const char* key, const std::vector<std::string>& values) {
  w.Key(key);
  w.StartArray();
  for (const auto& v : values) w.String(v);
  w.EndArray();
}

void counts(Writer& w, const char* key, const DeadlineCount& c) {
  w.Key(key);
  w.StartObject();
  w.Key("met"), w.Int(c.met);
  w.Key("missed"), w.Int(c.missed);
  w.EndObject();
}

std::vector<std::string> read_strings(const rapidjson::Value& a) {
  std::vector<std::string> out;
  for (const auto& v : a.GetArray()) out.emplace_back(v.GetString(), v.GetStringLength());
  return out;
}

std::string text(const rapidjson::Value& o, const char* key) {
  auto m = o.FindMember(key);
  return m == o.MemberEnd() ? std::string()
                            : std::string(m->value.GetString(), m->value.GetStringLength());
}

DeadlineCount read_counts(const rapidjson::Value& o) {
  return DeadlineCount{o["met"].GetInt(), o["missed"].GetInt()};
}

}  // namespace

bool ChallengeFact::visited(std::string_view stage) const {
  return std::find(stages_visited.begin(), stages_visited.end(), stage) != stages_visited.end();
}

std::string to_json(const ChallengeFact& f) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("fact"), w.String("challenge.closed");
  w.Key("fact_version"), w.Int(2);
  w.Key("fact_id"), w.String(f.fact_id);
  w.Key("challenge_id"), w.String(f.challenge_id);
  w.Key("protocol"), w.String(f.protocol);
  w.Key("track"), w.String(f.track);
  w.Key("agency"), w.String(f.agency);
  strings(w, "categories", f.categories);
  w.Key("immediate_risk"), w.Bool(f.immediate_risk);
  w.Key("source_system"), w.String(f.source_system);
  w.Key("opened_at"), w.String(format_iso8601(f.opened_at));
  w.Key("closed_at"), w.String(format_iso8601(f.closed_at));
  w.Key("opened_on"), w.String(f.opened_on);
  w.Key("closed_on"), w.String(f.closed_on);
  w.Key("outcome"), w.String(f.outcome);
  w.Key("starting_stage"), w.String(f.starting_stage);
  w.Key("highest_stage"), w.String(f.highest_stage);
  w.Key("highest_stage_label"), w.String(f.highest_stage_label);
  strings(w, "stages_visited", f.stages_visited);
  w.Key("escalations"), w.Int(f.escalations);
  w.Key("deadlines_met"), w.Int(f.deadlines_met());
  w.Key("deadlines_missed"), w.Int(f.deadlines_missed());
  w.Key("deadlines");
  w.StartObject();
  counts(w, "response", f.response);
  counts(w, "duty", f.duty);
  counts(w, "process", f.process);
  w.EndObject();
  w.Key("working_days_to_close"), w.Int(f.working_days);
  w.Key("calendar_days_to_close"), w.Int(f.calendar_days);
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

std::optional<ChallengeFact> from_json(std::string_view value, std::string& error) {
  FactError e;
  auto fact = read_fact(value, e);
  if (!fact) {
    error = e.message;
    return std::nullopt;
  }
  if (auto* closed = std::get_if<ChallengeFact>(&*fact)) return std::move(*closed);
  error = "/fact: not a challenge.closed fact";
  return std::nullopt;
}

namespace detail {

// The fields of a closed fact already validated against the schema (version 1
// or 2). Agencies and categories of version 1 were free text: read as codes.
std::optional<ChallengeFact> closed_from(const rapidjson::Value& d, FactError& error) {
  ChallengeFact f;
  f.version = d.HasMember("fact_version") ? 2 : 1;
  f.fact_id = text(d, "fact_id");
  f.challenge_id = text(d, "challenge_id");
  f.protocol = text(d, "protocol");
  f.track = text(d, "track");
  f.agency = code_or_other(text(d, "agency"));
  f.categories = codes_or_other(read_strings(d["categories"]));
  f.immediate_risk = d["immediate_risk"].GetBool();
  f.source_system = text(d, "source_system");
  // The schema's pattern admits only instants parse_iso8601 reads.
  f.opened_at = parse_iso8601(text(d, "opened_at")).value_or(Instant{});
  f.closed_at = parse_iso8601(text(d, "closed_at")).value_or(Instant{});
  f.opened_on = text(d, "opened_on");
  f.closed_on = text(d, "closed_on");
  f.outcome = text(d, "outcome");
  f.starting_stage = text(d, "starting_stage");
  f.highest_stage = text(d, "highest_stage");
  f.highest_stage_label = text(d, "highest_stage_label");
  f.stages_visited = read_strings(d["stages_visited"]);
  // Every integer is bounded by the schema (0..10000 counts, 0..40000 days),
  // so none of these reads or sums can wrap.
  f.escalations = d["escalations"].GetInt();
  f.response = read_counts(d["deadlines"]["response"]);
  f.duty = read_counts(d["deadlines"]["duty"]);
  f.process = read_counts(d["deadlines"]["process"]);
  f.working_days = d["working_days_to_close"].GetInt();
  f.calendar_days = d["calendar_days_to_close"].GetInt();
  if (f.deadlines_met() != d["deadlines_met"].GetInt() ||
      f.deadlines_missed() != d["deadlines_missed"].GetInt()) {
    error = {"totals",
             "/deadlines: the totals deadlines_met / deadlines_missed disagree with the counts by "
             "kind"};
    return std::nullopt;
  }
  return f;
}

}  // namespace detail

}  // namespace crp::connectors::facts
