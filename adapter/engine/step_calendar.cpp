// A changed calendar (a bank holiday added or removed) under open challenges:
// each open deadline is recounted from what it was counted from, and the ones
// that move are announced to those they wait on (docs/decisions/0060).
//
// The state keeps a deadline as an instant, not how it was reached. What it
// was counted from is found, not stored: among the instants the state records
// of the challenge's course (its stage's start, the meeting, the last event,
// every lifecycle entry, the opening), the first from which the protocol's
// rule gives exactly the stored deadline under the old or the new calendar.
// The new one first, per candidate: a deadline already counted under the new
// calendar is left alone, so applying a change twice changes nothing, and a
// partition restored under the start-up calendar can catch up safely. A deadline no
// candidate explains (a date agreed on an event, a check counted from a
// conference date) is a date someone chose, and stays as it is.
#include "adapter/engine/step.h"

namespace crp {

std::vector<Instant> Engine::Step::counted_from_candidates() const {
  std::vector<Instant> from{c_.stage_started_at};
  if (c_.meeting_at) from.push_back(*c_.meeting_at);
  from.push_back(c_.last_event_at);
  for (auto h = c_.history.rbegin(); h != c_.history.rend(); ++h) from.push_back(h->at);
  from.push_back(c_.opened_at);
  return from;
}

std::optional<Engine::Step::Recount> Engine::Step::recount(
    const ProtocolRuntime& before, Instant due, const std::vector<std::optional<Deadline>>& rules,
    const std::vector<Instant>& from) const {
  for (const std::optional<Deadline>& rule : rules) {
    if (!rule) continue;
    for (Instant f : from) {
      // Already as the new calendar counts it (unmoved, or moved before a
      // restore replayed the change): nothing to do. Candidates are tried in
      // order, so a later instant that happens to fit never wins over the
      // stage's start.
      const Instant counted = rt_.due(f, *rule);
      if (counted == due || before.calendar->due_instant(f, *rule, p_.working_day_end) == due)
        return Recount{f, counted};
    }
  }
  return std::nullopt;
}

// A pending reminder follows its deadline; one the change would move to or
// before now is not sent (the deadline_changed email already says the date).
// One the change leaves where it was stays, even if it is due already.
std::optional<Instant> Engine::Step::reminder_after_change(const Stage& s, Instant due,
                                                           Instant from, Instant pending) const {
  std::optional<Instant> at = reminder_before(s, due, from);
  if (at == pending) return at;
  if (at && *at <= now_) return std::nullopt;
  return at;
}

void Engine::Step::deadline_changed(const char* deadline, const Stage* s, const DutyState* d,
                                    Instant before, Instant after, std::vector<std::string> to) {
  const Duty* def = d ? duty_def(*d) : nullptr;
  const std::string duty = d ? d->id : std::string();
  const std::string duty_label = def ? def->label : duty;
  const std::string stage = s ? s->id : std::string();
  const std::string label = s ? s->label_for(c_.track) : std::string();
  LifecycleEvent ev{
      "challenge.deadline_changed", stage, label, "", "", "", duty, duty_label, after};
  ev.occurred_at = now_;
  ev.deadline = deadline;
  ev.previous_due_at = before;
  emit(std::move(ev));  // not in the history: the challenge's course is unchanged
  const std::string what = d                                            ? duty_label
                           : std::string(deadline) == "response"        ? "The response to " + label
                           : std::string(deadline) == "decision"        ? "The decision on " + label
                           : std::string(deadline) == "step_down_check" ? "The step-down check"
                                                                        : "The formal process";
  NotificationDecision n;
  n.template_key = "deadline_changed";
  n.reason = what + " is now due by " + date_text(after) + ", not " + date_text(before) +
             ": the bank holidays changed";
  n.stage = stage;
  n.stage_label = label;
  n.to = std::move(to);
  n.due_at = after;
  emit(std::move(n));
}

bool Engine::Step::on_calendar_change(const ProtocolRuntime& before) {
  if (c_.closed()) return false;
  const std::vector<Instant> from = counted_from_candidates();
  bool changed = false;
  const Stage* s = c_.stage.empty() ? nullptr : p_.stage(c_.stage);

  if (s && c_.due_at && !c_.response_overdue) {
    const bool at_risk = c_.immediate_risk && s->immediate_risk.response_deadline;
    const std::optional<Deadline> rule =
        at_risk ? s->immediate_risk.response_deadline : s->response_deadline;
    if (auto r = recount(before, *c_.due_at, {rule, s->agreed_deadline_max}, from)) {
      const Instant old = *c_.due_at;
      std::optional<Instant> remind = c_.response_remind_at;
      if (remind) remind = reminder_after_change(*s, r->due, r->from, *remind);
      changed |= remind != c_.response_remind_at || r->due != old;
      c_.response_remind_at = remind;
      c_.due_at = r->due;
      if (r->due != old) deadline_changed("response", s, nullptr, old, r->due, {s->response_by});
    }
  }
  for (DutyState& d : c_.duties) {
    const Duty* def = duty_def(d);
    const Stage* ds = p_.stage(d.stage);
    if (d.done || d.overdue || d.superseded || !def || !ds) continue;
    if (auto r = recount(before, d.due, {def->deadline}, from)) {
      const Instant old = d.due;
      std::optional<Instant> remind = d.remind_at;
      if (remind) remind = reminder_after_change(*ds, r->due, r->from, *remind);
      changed |= remind != d.remind_at || r->due != old;
      d.remind_at = remind;
      d.due = r->due;
      if (r->due != old) deadline_changed("duty", ds, &d, old, r->due, {def->owner});
    }
  }
  // Deadlines with no reminder: recounted, and announced when they move.
  auto move = [&](const char* deadline, Instant& due, const Deadline& rule,
                  std::vector<std::string> to) {
    const std::optional<Recount> r = recount(before, due, {rule}, from);
    if (!r || r->due == due) return;
    const Instant old = due;
    due = r->due;
    changed = true;
    deadline_changed(deadline, s, nullptr, old, r->due, std::move(to));
  };
  if (s && c_.decide_due_at && !c_.decision_overdue)
    move("decision", *c_.decide_due_at, s->decide_within.value_or(p_.decide_within), {decider(*s)});
  if (p_.process_limit && c_.process_due_at && !c_.process_overdue)
    move("process_limit", *c_.process_due_at, p_.process_limit->deadline, p_.process_limit->notify);
  if (p_.step_down_check && c_.check_due_at)
    move("step_down_check", *c_.check_due_at, p_.step_down_check->after,
         p_.step_down_check->notify);
  return changed;
}

}  // namespace crp
