// Reminders before deadlines: challenge.response_due_soon and duty.due_soon,
// each with an email to those the deadline waits on. When: at the deadline's
// own clock time (the protocol's working_day_end) on the working day the
// protocol's `reminders` setting names before the deadline's local date, by
// the protocol's calendar (weekends and bank holidays skipped). A deadline
// set less than that far ahead gets none. The instant is kept in the
// challenge's state like any deadline, and cleared once sent, so a restore
// never sends it again (docs/decisions/0056-reminders-before-deadlines.md).
#include "adapter/engine/step.h"

namespace crp {

std::optional<Instant> Engine::Step::reminder_before(const Stage& s, Instant deadline,
                                                     Instant set_at) const {
  const int before = p_.remind_working_days_before_for(s);
  if (before <= 0) return std::nullopt;
  const WorkingCalendar& cal = *rt_.calendar;
  const Instant at =
      cal.to_utc(cal.subtract_working_days(cal.local_date(deadline), before), p_.working_day_end);
  if (at <= set_at || at >= deadline) return std::nullopt;
  return at;
}

// A reminder is for someone still owing something: once the response is in,
// the stage is left, the duty is done or superseded, or the deadline passed,
// it is dropped unsent.
void Engine::Step::settle_reminders() {
  if (c_.closed() || c_.phase != Phase::awaiting_response || !c_.due_at || c_.response_overdue)
    c_.response_remind_at.reset();
  for (DutyState& d : c_.duties) {
    if (c_.closed() || d.done || d.overdue || d.superseded) d.remind_at.reset();
  }
}

void Engine::Step::response_due_soon() {
  const Instant at = *c_.response_remind_at;
  c_.response_remind_at.reset();
  // Like every timer, one that fell due while nobody was looking (a restart)
  // goes now, dated at its instant: the outputs never depend on when timers
  // are processed, so replay and the live service agree.
  if (!c_.due_at) return;
  const Stage& s = current();
  const std::string& label = s.label_for(c_.track);
  LifecycleEvent ev{"challenge.response_due_soon", s.id, label, "", "", "", "", "", c_.due_at};
  ev.occurred_at = at;
  emit(std::move(ev));  // not in the history: a reminder changes nothing of the challenge's course
  const char* owed = s.response_kind == ResponseKind::written_response ? "The response to "
                     : s.response_kind == ResponseKind::meeting_held   ? "The meeting for "
                                                                       : "A meeting date for ";
  remind("response_due_soon", s, owed + label + " is due by " + date_text(*c_.due_at),
         s.response_by, *c_.due_at);
}

void Engine::Step::duty_due_soon(DutyState& d) {
  const Instant at = *d.remind_at;
  d.remind_at.reset();
  const Stage& s = stage_def(d.stage);
  const Duty* def = duty_def(d);
  const std::string label = def ? def->label : d.id;
  LifecycleEvent ev{"duty.due_soon", d.stage, s.label_for(c_.track), "", "", "", d.id,
                    label,           d.due};
  ev.occurred_at = at;
  emit(std::move(ev));
  remind("duty_due_soon", s, "Due by " + date_text(d.due) + ": " + label,
         def ? def->owner : chair(), d.due);
}

// Only the one the deadline waits on is written to: a reminder copied to the
// protocol's always_cc would be noise in their inbox at every deadline.
void Engine::Step::remind(std::string key, const Stage& s, std::string reason,
                          const std::string& role, Instant due) {
  NotificationDecision n;
  n.template_key = std::move(key);
  n.reason = std::move(reason);
  n.stage = s.id;
  n.stage_label = s.label_for(c_.track);
  n.to = {role};
  n.due_at = due;
  emit(std::move(n));
}

}  // namespace crp
