#include "connectors/facts/fact_reader.h"

#include <rapidjson/document.h>

#include "adapter/json/json.h"
#include "adapter/json/schema_registry.h"
#include "connectors/facts/fact_codes.h"

namespace crp::connectors::facts {
namespace detail {
std::optional<ChallengeFact> closed_from(const rapidjson::Value& d, FactError& error);
}  // namespace detail

namespace {

constexpr const char* kSchema = "outbound/fact.schema.json";

std::string text(const rapidjson::Value& o, const char* key) {
  auto m = o.FindMember(key);
  return m == o.MemberEnd() || !m->value.IsString()
             ? std::string()
             : std::string(m->value.GetString(), m->value.GetStringLength());
}

// The definition a value claims to be, so a refusal names what it was checked as.
std::string claimed(const rapidjson::Value& d) {
  const std::string fact = text(d, "fact");
  if (fact == "challenge.closed") return d.HasMember("fact_version") ? "closed_v2" : "closed_v1";
  if (fact == "stage.started") return "stage_started";
  if (fact == "good_practice.noted") return "good_practice_noted";
  if (fact == "watch.finding") return "watch_finding";
  return "deadline";
}

StageFact stage_from(const rapidjson::Value& d) {
  StageFact f;
  const std::string fact = text(d, "fact");
  f.kind = fact == "stage.started"     ? StageFactKind::stage_started
           : fact == "deadline.met"    ? StageFactKind::deadline_met
           : fact == "deadline.missed" ? StageFactKind::deadline_missed
           : fact == "watch.finding"   ? StageFactKind::watch_finding
                                       : StageFactKind::good_practice_noted;
  f.fact_id = text(d, "fact_id");
  f.challenge_id = text(d, "challenge_id");
  f.protocol = text(d, "protocol");
  f.track = text(d, "track");
  f.agency = text(d, "agency");
  if (auto c = d.FindMember("categories"); c != d.MemberEnd()) {
    for (const auto& v : c->value.GetArray()) f.categories.emplace_back(v.GetString());
  }
  if (auto r = d.FindMember("immediate_risk"); r != d.MemberEnd())
    f.immediate_risk = r->value.GetBool();
  f.stage = text(d, "stage");
  f.stage_label = text(d, "stage_label");
  f.reason = text(d, "reason");
  if (auto o = d.FindMember("opens_challenge"); o != d.MemberEnd())
    f.opens_challenge = o->value.GetBool();
  f.deadline = text(d, "deadline");
  f.duty = text(d, "duty");
  if (d.HasMember("due_at")) f.due_at = parse_iso8601(text(d, "due_at"));
  f.team = text(d, "team");
  if (auto x = d.FindMember("exemplary"); x != d.MemberEnd()) f.exemplary = x->value.GetBool();
  f.rule = text(d, "rule");
  f.status = text(d, "status");
  f.occurred_at = parse_iso8601(text(d, "occurred_at")).value_or(Instant{});
  f.occurred_on = text(d, "occurred_on");
  return f;
}

}  // namespace

std::optional<Fact> read_fact(std::string_view value, FactError& error) {
  rapidjson::Document d;
  std::string parse_error;
  if (!json::parse(value, d, parse_error)) {
    error = {"not_json", parse_error};
    return std::nullopt;
  }
  if (auto v = json::validate(kSchema, d)) {
    std::string where = v->document_pointer.empty() ? "/" : v->document_pointer;
    // A oneOf failure names no field: say which definition the value claimed.
    error = {"schema", v->keyword == "oneOf" && d.IsObject()
                           ? "not a valid fact (" + std::string(kSchema) + "#/definitions/" +
                                 claimed(d) + "): a field is missing, unknown or out of range"
                           : where + ": " + v->message};
    return std::nullopt;
  }
  if (text(d, "fact") == "challenge.closed") {
    auto closed = detail::closed_from(d, error);
    if (!closed) return std::nullopt;
    return Fact{std::move(*closed)};
  }
  return Fact{stage_from(d)};
}

}  // namespace crp::connectors::facts
