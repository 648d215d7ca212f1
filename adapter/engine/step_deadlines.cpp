// Deadlines that passed: a response, a duty, the process limit, a step-down
// check or a decision nobody made in time.
#include "adapter/engine/step.h"

namespace crp {

// Everything due at `due` on this challenge, in a fixed order.
void Engine::Step::on_deadline(Instant due) {
  // Reminders first: at one instant a reminder comes before what falls due.
  if (c_.response_remind_at == due) response_due_soon();
  for (std::size_t i = 0; i < c_.duties.size(); ++i) {
    if (c_.duties[i].remind_at == due) duty_due_soon(c_.duties[i]);
  }
  if (c_.due_at == due && !c_.response_overdue) response_overdue(due);
  for (std::size_t i = 0; i < c_.duties.size(); ++i) {
    DutyState& d = c_.duties[i];
    if (!d.done && !d.overdue && !d.superseded && d.due == due) duty_overdue(d);
  }
  if (c_.process_due_at == due && !c_.process_overdue) process_overdue(due);
  if (c_.check_due_at == due) step_down_check_due(due);
  if (c_.decide_due_at == due && !c_.decision_overdue && !c_.closed()) decision_overdue(due);
  settle_reminders();
}

void Engine::Step::response_overdue(Instant due) {
  c_.response_overdue = true;
  const Stage& s = current();
  lifecycle(LifecycleEvent{"challenge.response_overdue", s.id, s.label_for(c_.track), "", "", "",
                           "", "", due},
            due);
  if (s.on_overdue == OnOverdue::escalate) {
    escalate_to(s.next, "no_response", due);
    return;
  }
  notify("response_overdue",
         "No response to " + s.label_for(c_.track) + " by " + date_text(due) +
             (s.next.empty() ? "; this is the last stage of the protocol"
                             : "; the chair decides whether to escalate"),
         {chair()}, {s.response_by}, due);
  case_note(query_text(), "No response to " + s.label_for(c_.track) + " by " + date_text(due),
            "Overdue; referred to " + p_.role_title(chair()) + " to decide");
  start_decision_clock(s, due);  // the chair's decision is chased in turn
}

// Decisions are chased: a response, a meeting or a passed deadline that
// nobody acts on is raised with the decider once.
void Engine::Step::decision_overdue(Instant due) {
  c_.decision_overdue = true;
  const Stage& s = current();
  const char* after = c_.phase == Phase::under_review        ? "response_received"
                      : c_.phase == Phase::meeting_held      ? "meeting_held"
                      : c_.phase == Phase::meeting_scheduled ? "meeting_date_passed"
                      : c_.response_overdue                  ? "response_overdue"
                      : c_.phase == Phase::awaiting_approval ? "awaiting_approval"
                                                             : "no_response_deadline";
  lifecycle(LifecycleEvent{"challenge.decision_overdue", s.id, s.label_for(c_.track), "", after, "",
                           "", "", due},
            due);
  std::vector<std::string> cc;
  add_unique(cc, {chair()}, {decider(s)});
  notify("decision_overdue",
         "No decision recorded on " + s.label_for(c_.track) + " by " + date_text(due) +
             ": resolve, escalate or withdraw",
         {decider(s)}, cc, due);
  case_note(query_text(),
            "No decision recorded on " + s.label_for(c_.track) + " by " + date_text(due),
            "Decision overdue; chased with " + p_.role_title(decider(s)));
}

void Engine::Step::duty_overdue(DutyState& d) {
  d.overdue = true;
  const Stage& s = stage_def(d.stage);
  const Duty* def = duty_def(d);
  std::string label = def ? def->label : d.id;
  lifecycle(LifecycleEvent{"duty.overdue", d.stage, s.label_for(c_.track), "", "", "", d.id, label,
                           d.due},
            d.due);
  notify("duty_overdue", "Overdue: " + label, {def ? def->owner : chair()}, {chair()}, d.due);
  case_note(query_text(), "Not done by " + date_text(d.due) + ": " + label,
            "Overdue; chased with " + p_.role_title(def ? def->owner : chair()));
}

void Engine::Step::process_overdue(Instant due) {
  c_.process_overdue = true;
  lifecycle(LifecycleEvent{"process.overdue", c_.stage, current().label_for(c_.track), "", "", "",
                           "", "", due},
            due);
  notify("process_overdue", "The formal process has passed its overall limit",
         p_.process_limit->notify, {}, due);
  case_note(query_text(), "The formal process passed its overall limit on " + date_text(due),
            "Referred to " + join_titles(p_, p_.process_limit->notify));
}

void Engine::Step::step_down_check_due(Instant due) {
  c_.check_due_at.reset();
  lifecycle(LifecycleEvent{"step_down.check_due", "", "", "", "", "", "", "", due}, due);
  notify("step_down_check_due",
         "Check that a multi-agency CiN meeting has taken place and a CiN Plan is in place",
         p_.step_down_check->notify, {}, due);
  case_note("Step down to Child in Need", "Step-down check due " + date_text(due),
            "Referred to " + join_titles(p_, p_.step_down_check->notify));
}

}  // namespace crp
