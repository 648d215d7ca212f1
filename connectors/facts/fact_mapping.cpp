#include "connectors/facts/fact_mapping.h"

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

std::optional<ChallengeFact> fact_of(const Challenge& c, const ProtocolRuntime& runtime) {
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
  f.case_id = c.case_id;
  f.protocol = c.protocol;
  f.track = c.track;
  f.agency = c.agency;
  f.categories = c.categories;
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

}  // namespace crp::connectors::facts
