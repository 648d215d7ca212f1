#include "connectors/facts/stage_fact.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace crp::connectors::facts {

const char* to_string(StageFactKind kind) {
  switch (kind) {
    case StageFactKind::stage_started:
      return "stage.started";
    case StageFactKind::deadline_met:
      return "deadline.met";
    case StageFactKind::deadline_missed:
      return "deadline.missed";
    case StageFactKind::good_practice_noted:
      return "good_practice.noted";
    case StageFactKind::watch_finding:
      return "watch.finding";
  }
  return "stage.started";
}

std::string to_json(const StageFact& f) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.StartObject();
  w.Key("fact"), w.String(to_string(f.kind));
  w.Key("fact_version"), w.Int(2);
  w.Key("fact_id"), w.String(f.fact_id);
  const bool watch = f.kind == StageFactKind::watch_finding;
  if (!watch) w.Key("challenge_id"), w.String(f.challenge_id);
  w.Key("protocol"), w.String(f.protocol);
  if (f.kind != StageFactKind::good_practice_noted && !watch) w.Key("track"), w.String(f.track);
  if (!watch) w.Key("agency"), w.String(f.agency);
  switch (f.kind) {
    case StageFactKind::stage_started:
      w.Key("categories");
      w.StartArray();
      for (const auto& c : f.categories) w.String(c);
      w.EndArray();
      w.Key("immediate_risk"), w.Bool(f.immediate_risk);
      w.Key("stage"), w.String(f.stage);
      w.Key("stage_label"), w.String(f.stage_label);
      w.Key("reason"), w.String(f.reason);
      w.Key("opens_challenge"), w.Bool(f.opens_challenge);
      break;
    case StageFactKind::deadline_met:
    case StageFactKind::deadline_missed:
      w.Key("stage"), w.String(f.stage);
      w.Key("stage_label"), w.String(f.stage_label);
      w.Key("deadline"), w.String(f.deadline);
      if (!f.duty.empty()) w.Key("duty"), w.String(f.duty);
      break;
    case StageFactKind::good_practice_noted:
      w.Key("team"), w.String(f.team);
      w.Key("exemplary"), w.Bool(f.exemplary);
      break;
    case StageFactKind::watch_finding:
      w.Key("rule"), w.String(f.rule);
      w.Key("team"), w.String(f.team);
      w.Key("status"), w.String(f.status);
      break;
  }
  if (f.due_at && f.kind != StageFactKind::good_practice_noted && !watch)
    w.Key("due_at"), w.String(format_iso8601(*f.due_at));
  w.Key("occurred_at"), w.String(format_iso8601(f.occurred_at));
  w.Key("occurred_on"), w.String(f.occurred_on);
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace crp::connectors::facts
