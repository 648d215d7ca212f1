#include "connectors/facts/fact_mapping.h"

#include "connectors/facts/fact_codes.h"
#include "connectors/facts/stage_fact.h"

namespace crp::connectors::facts {
namespace {

// One stay at a stage, from its challenge.stage_started to the next one or the close.
struct Visit {
  std::string stage;
  bool response_missed = false;
};

int working_days_between(const WorkingCalendar& calendar, std::chrono::sys_days from,
                         std::chrono::sys_days to) {
  int n = 0;
  for (auto d = from + std::chrono::days(1); d <= to; d += std::chrono::days(1)) {
    if (calendar.is_working_day(d)) ++n;
  }
  return n;
}

}  // namespace

std::optional<ChallengeFact> fact_of(const Challenge& c, const ProtocolRuntime& runtime,
                                     const AgencyCoder& agency_code) {
  const Protocol& p = runtime.protocol;
  ChallengeFact f;
  std::vector<Visit> visits;
  std::optional<Instant> closed_at;
  for (const HistoryEntry& h : c.history) {
    if (h.event == "challenge.stage_started") {
      visits.push_back(Visit{h.stage});
    } else if (h.event == "challenge.response_overdue") {
      if (!visits.empty()) visits.back().response_missed = true;
    } else if (h.event == "challenge.escalated") {
      ++f.escalations;
    } else if (h.event == "duty.overdue") {
      ++f.duty.missed;
    } else if (h.event == "process.overdue") {
      ++f.process.missed;
    } else if (h.event == "challenge.closed") {
      closed_at = h.at;
    }
  }
  if (visits.empty() || !closed_at) return std::nullopt;

  f.challenge_id = c.id;
  f.protocol = c.protocol;
  f.track = c.track;
  f.agency = code_or_other(agency_code(c.agency));
  f.categories = codes_or_other(c.categories);
  f.immediate_risk = c.immediate_risk;
  f.source_system = c.source_system;
  f.opened_at = c.opened_at;
  f.closed_at = *closed_at;
  f.outcome = c.outcome;
  for (const Visit& v : visits) f.stages_visited.push_back(v.stage);
  f.starting_stage = visits.front().stage;
  // The engine only ever moves a challenge further along its route, so the
  // last stage visited is the highest reached.
  f.highest_stage = visits.back().stage;
  if (const Stage* s = p.stage(f.highest_stage)) f.highest_stage_label = s->label_for(c.track);

  // A response deadline is missed when its overdue event was recorded, met
  // when the stage ended any other way except by withdrawal (then it never fell due).
  for (std::size_t i = 0; i < visits.size(); ++i) {
    const Stage* s = p.stage(visits[i].stage);
    if (visits[i].response_missed) {
      ++f.response.missed;
    } else if (s && (s->response_deadline || s->agreed_deadline_max) &&
               !(i + 1 == visits.size() && c.outcome == "withdrawn")) {
      ++f.response.met;
    }
  }
  for (const DutyState& d : c.duties) {
    if (d.done && !d.overdue) ++f.duty.met;
  }
  if (c.process_due_at && f.process.missed == 0 && c.outcome != "withdrawn") ++f.process.met;

  const WorkingCalendar& calendar = *runtime.calendar;
  f.opened_on = calendar.local_date_text(f.opened_at);
  f.closed_on = calendar.local_date_text(f.closed_at);
  const auto opened_day = calendar.local_date(f.opened_at);
  const auto closed_day = calendar.local_date(f.closed_at);
  f.calendar_days = static_cast<int>((closed_day - opened_day).count());
  f.working_days = working_days_between(calendar, opened_day, closed_day);
  return f;
}

namespace {

bool has_response_deadline(const Protocol& p, const std::string& stage) {
  const Stage* s = p.stage(stage);
  return s && (s->response_deadline || s->agreed_deadline_max);
}

// Whether the visit to a stage that the escalation `to` at `at` ended had its
// response deadline missed (history holds the whole input's events).
std::optional<std::string> stage_left_unmissed(const Challenge& c, const std::string& to,
                                               Instant at) {
  std::string stage;
  bool missed = false;
  for (const HistoryEntry& h : c.history) {
    if (h.event == "challenge.escalated" && h.stage == to && h.at == at) {
      if (missed || stage.empty()) return std::nullopt;
      return stage;
    }
    if (h.event == "challenge.stage_started") {
      stage = h.stage;
      missed = false;
    } else if (h.event == "challenge.response_overdue") {
      missed = true;
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> facts_of(const Effect& e, const LifecycleEvent& ev, const Challenge* c,
                                  const ProtocolRuntime& runtime, const AgencyCoder& agency_code) {
  std::vector<std::string> out;
  if (!c) return out;
  const Protocol& p = runtime.protocol;
  const WorkingCalendar& calendar = *runtime.calendar;
  auto base = [&](StageFactKind kind, Instant at) {
    StageFact f;
    f.kind = kind;
    f.fact_id = e.id();
    f.challenge_id = e.challenge_id;
    f.protocol = e.protocol;
    f.track = c->track;
    f.agency = code_or_other(agency_code(c->agency));
    f.occurred_at = at;
    f.occurred_on = calendar.local_date_text(at);
    return f;
  };
  auto label = [&](const std::string& stage) {
    const Stage* s = p.stage(stage);
    return s ? s->label_for(c->track) : std::string();
  };
  auto deadline = [&](StageFactKind kind, const std::string& which, const std::string& stage,
                      std::optional<Instant> due, Instant at, const std::string& duty = {}) {
    StageFact f = base(kind, at);
    f.stage = stage;
    f.stage_label = label(stage);
    f.deadline = which;
    f.duty = duty;
    f.due_at = due;
    out.push_back(to_json(f));
  };
  const std::string& t = ev.type;
  if (t == "challenge.stage_started") {
    StageFact f = base(StageFactKind::stage_started, ev.occurred_at);
    f.categories = codes_or_other(c->categories);
    f.immediate_risk = c->immediate_risk;
    f.stage = ev.stage;
    f.stage_label = ev.stage_label;
    f.reason = code_or_other(ev.reason);
    f.due_at = ev.due_at;
    for (const HistoryEntry& h : c->history) {
      if (h.event != "challenge.stage_started") continue;
      f.opens_challenge = h.stage == ev.stage && h.at == ev.occurred_at;
      break;
    }
    out.push_back(to_json(f));
  } else if (t == "challenge.response_overdue") {
    deadline(StageFactKind::deadline_missed, "response", ev.stage, ev.due_at, ev.occurred_at);
  } else if (t == "duty.overdue") {
    deadline(StageFactKind::deadline_missed, "duty", ev.stage, ev.due_at, ev.occurred_at, ev.duty);
  } else if (t == "challenge.decision_overdue") {
    deadline(StageFactKind::deadline_missed, "decision", ev.stage, ev.due_at, ev.occurred_at);
  } else if (t == "process.overdue") {
    deadline(StageFactKind::deadline_missed, "process", ev.stage, ev.due_at, ev.occurred_at);
  } else if (t == "challenge.escalated") {
    auto left = stage_left_unmissed(*c, ev.stage, ev.occurred_at);
    if (left && has_response_deadline(p, *left))
      deadline(StageFactKind::deadline_met, "response", *left, std::nullopt, ev.occurred_at);
  } else if (t == "challenge.closed") {
    auto closed = fact_of(*c, runtime, agency_code);
    if (!closed) return out;  // a step-down watch that ended well
    const std::string& last = closed->highest_stage;
    bool last_missed = false;
    for (const HistoryEntry& h : c->history) {
      if (h.event == "challenge.stage_started") last_missed = false;
      if (h.event == "challenge.response_overdue") last_missed = true;
    }
    if (!last_missed && has_response_deadline(p, last) && c->outcome != "withdrawn")
      deadline(StageFactKind::deadline_met, "response", last, std::nullopt, ev.occurred_at);
    for (const DutyState& d : c->duties) {
      if (d.done && !d.overdue)
        deadline(StageFactKind::deadline_met, "duty", d.stage, d.due, ev.occurred_at, d.id);
    }
    if (closed->process.met > 0)
      deadline(StageFactKind::deadline_met, "process", last, c->process_due_at, ev.occurred_at);
    closed->fact_id = e.id();
    out.push_back(to_json(*closed));
  } else if (t == "good_practice.noted") {
    StageFact f = base(StageFactKind::good_practice_noted, ev.occurred_at);
    f.team = c->team;
    f.exemplary = ev.reason == "exemplary";
    out.push_back(to_json(f));
  }
  return out;
}

}  // namespace crp::connectors::facts
