#include "adapter/runtime/admin/challenge_view.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace crp::admin {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void instant(Writer& w, const char* key, const std::optional<Instant>& at) {
  w.Key(key);
  if (at) {
    w.String(format_iso8601(*at));
  } else {
    w.Null();
  }
}

}  // namespace

bool is_overdue(const Challenge& c, Instant now) {
  if (c.closed()) return false;
  if (c.response_overdue || c.process_overdue || c.decision_overdue) return true;
  if (c.due_at && *c.due_at < now) return true;
  // A decision not recorded in time is drift too, as much as a late response.
  if (c.decide_due_at && *c.decide_due_at < now) return true;
  for (const DutyState& d : c.duties) {
    if (!d.done && !d.superseded && (d.overdue || d.due < now)) return true;
  }
  return false;
}

std::string challenge_json(const Challenge& c, std::int32_t partition, Instant now,
                           const std::string* quarantine_reason) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("id");
  w.String(c.id);
  w.Key("protocol");
  w.String(c.protocol);
  w.Key("protocol_version");
  w.Int(c.protocol_version);
  if (quarantine_reason) {
    w.Key("quarantined");
    w.Bool(true);
    w.Key("quarantine_reason");
    w.String(*quarantine_reason);
  }
  w.Key("track");
  w.String(c.track);
  w.Key("agency");
  w.String(c.agency);
  w.Key("categories");
  w.StartArray();
  for (const std::string& category : c.categories) w.String(category);
  w.EndArray();
  w.Key("immediate_risk");
  w.Bool(c.immediate_risk);
  w.Key("route");
  w.String(c.route);
  w.Key("stage");
  w.String(c.stage);
  w.Key("phase");
  w.String(to_string(c.phase));
  instant(w, "opened_at", c.opened_at);
  instant(w, "stage_started_at", c.stage_started_at);
  instant(w, "due_at", c.due_at);
  // When the reminder goes (decision 0056): null once sent or when none is due.
  instant(w, "response_remind_at", c.response_remind_at);
  w.Key("response_overdue");
  w.Bool(c.response_overdue);
  instant(w, "meeting_at", c.meeting_at);
  instant(w, "process_due_at", c.process_due_at);
  w.Key("process_overdue");
  w.Bool(c.process_overdue);
  instant(w, "check_due_at", c.check_due_at);
  instant(w, "decide_due_at", c.decide_due_at);
  w.Key("decision_overdue");
  w.Bool(c.decision_overdue);
  instant(w, "next_deadline", c.next_deadline());
  w.Key("overdue");
  w.Bool(is_overdue(c, now));
  w.Key("outcome");
  w.String(c.outcome);
  w.Key("duties");
  w.StartArray();
  for (const DutyState& d : c.duties) {
    w.StartObject();
    w.Key("stage");
    w.String(d.stage);
    w.Key("id");
    w.String(d.id);
    instant(w, "due", d.due);
    instant(w, "remind_at", d.remind_at);
    w.Key("done");
    w.Bool(d.done);
    w.Key("overdue");
    w.Bool(d.overdue);
    w.Key("superseded");
    w.Bool(d.superseded);
    w.EndObject();
  }
  w.EndArray();
  w.Key("history");
  w.StartArray();
  for (const HistoryEntry& h : c.history) {
    w.StartObject();
    instant(w, "at", h.at);
    w.Key("event");
    w.String(h.event);
    w.Key("stage");
    w.String(h.stage);
    w.EndObject();
  }
  w.EndArray();
  w.Key("partition");
  w.Int(partition);
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace crp::admin
