// The events that move an open challenge on: responses, approvals, meetings,
// escalations, duties done, step-down checks, good-practice notes.
#include "adapter/engine/step.h"

#include <stdexcept>

namespace crp {

void Engine::Step::on_event(const InboundEvent& e) {
  // Contacts may come on any event of the challenge: the latest address for
  // a role wins (a professional named later is still written to).
  if (!creates_challenge(e.type)) {
    for (const auto& [role, address] : e.contact_emails)
      c_.contact_emails.insert_or_assign(role, address);
  }
  switch (e.type) {
    case EventType::raised:
      raise(e, e.stage);
      break;
    case EventType::dissent_raised:
      if (p_.dissent_stage.empty())
        reject("crp.NotInProtocol", "protocol " + p_.id + " has no dissent route");
      raise(e, p_.dissent_stage);
      break;
    case EventType::step_down_agreed:
      step_down_agreed(e);
      break;
    case EventType::step_down_checked:
      step_down_checked(e);
      break;
    case EventType::good_practice_noted:
      good_practice(e);
      break;
    case EventType::response_received:
      response_received(e);
      break;
    case EventType::response_approved:
      response_approved(e);
      break;
    case EventType::meeting_scheduled:
      meeting_scheduled(e);
      break;
    case EventType::meeting_held:
      meeting_held(e);
      break;
    case EventType::response_accepted:
      need_stage();
      close("resolved", e.occurred_at);
      break;
    case EventType::response_rejected:
      response_rejected(e);
      break;
    case EventType::escalated:
      escalated(e);
      break;
    case EventType::resolved:
      close("resolved", e.occurred_at);
      break;
    case EventType::withdrawn:
      close("withdrawn", e.occurred_at);
      break;
    case EventType::duty_completed:
      duty_completed(e);
      break;
    case EventType::conference_scheduled:
    case EventType::conference_held:
    case EventType::conference_cancelled:
    case EventType::report_shared:
    case EventType::consultation_form_completed:
    case EventType::interpreter_booked:
    case EventType::core_group_held:
    case EventType::child_seen:
    case EventType::plan_ended:
    case EventType::suggestion_dismissed:
      throw std::logic_error("case activity reached a challenge");  // Engine::apply routes it
  }
  settle_reminders();
}

// A response to a stage the challenge has left counts for that stage (late),
// and leaves the current stage's clock alone.
bool Engine::Step::late_response(const InboundEvent& e) {
  if (e.stage.empty() || e.stage == c_.stage) return false;
  const Stage& earlier = stage_def(e.stage);
  bool visited = false;
  for (const HistoryEntry& h : c_.history)
    visited = visited || (h.event == "challenge.stage_started" && h.stage == e.stage);
  if (!visited)
    reject("crp.InvalidTransition",
           "the challenge has not been at stage " + quoted_identifier(e.stage));
  const std::string& label = earlier.label_for(c_.track);
  lifecycle(LifecycleEvent{"challenge.late_response_recorded", e.stage, label, "",
                           "after_stage_left", "", "", "", std::nullopt},
            e.occurred_at);
  case_note(query_text(), "Response to " + label + " received on " + date_text(e.occurred_at),
            "Recorded late: the challenge had moved to " + current().label_for(c_.track));
  return true;
}

void Engine::Step::response_received(const InboundEvent& e) {
  need_stage();
  if (late_response(e)) return;
  const Stage& s = current();
  if (s.response_kind != ResponseKind::written_response) {
    reject("crp.InvalidTransition",
           "stage '" + s.id + "' is answered by a meeting, not a written response");
  }
  if (c_.phase != Phase::awaiting_response && c_.phase != Phase::awaiting_approval) {
    reject("crp.InvalidTransition",
           std::string("a response is not awaited (phase ") + to_string(c_.phase) + ")");
  }
  case_note(
      query_text(),
      "Response to " + s.label_for(c_.track) + " received from " + p_.role_title(s.response_by),
      "Date returned: " + date_text(e.occurred_at));
  if (!s.approval_by.empty() && e.approved_by != s.approval_by) {
    c_.phase = Phase::awaiting_approval;  // the timer runs on until approval
    return;
  }
  under_review(s, e.occurred_at);
}

void Engine::Step::under_review(const Stage& s, Instant at) {
  c_.phase = Phase::under_review;
  c_.due_at.reset();
  start_decision_clock(s, at);
}

void Engine::Step::response_approved(const InboundEvent& e) {
  need_stage();
  const Stage& s = current();
  if (c_.phase != Phase::awaiting_approval)
    reject("crp.InvalidTransition", "no response is awaiting approval");
  if (!e.approved_by.empty() && e.approved_by != s.approval_by) {
    reject("crp.InvalidTransition", "stage '" + s.id + "' needs approval by " + s.approval_by);
  }
  case_note(query_text(), "Response to " + s.label_for(c_.track) + " approved",
            "Approved by " + p_.role_title(s.approval_by) + " on " + date_text(e.occurred_at));
  under_review(s, e.occurred_at);
}

void Engine::Step::meeting_scheduled(const InboundEvent& e) {
  need_stage();
  const Stage& s = current();
  if (s.response_kind == ResponseKind::written_response) {
    reject("crp.InvalidTransition",
           "stage '" + s.id + "' is answered in writing, not by a meeting");
  }
  c_.meeting_at = e.meeting_at;
  c_.phase = Phase::meeting_scheduled;
  if (s.response_kind == ResponseKind::meeting_date_confirmed) {
    c_.due_at.reset();
    // Chased if the meeting is not recorded as held soon after its date.
    start_decision_clock(s,
                         c_.meeting_at ? std::max(*c_.meeting_at, e.occurred_at) : e.occurred_at);
  }
  case_note(
      query_text(), s.label_for(c_.track) + " meeting arranged",
      c_.meeting_at ? "Meeting date: " + date_text(*c_.meeting_at) : "Meeting date confirmed");
}

void Engine::Step::meeting_held(const InboundEvent& e) {
  need_stage();
  const Stage& s = current();
  if (s.response_kind == ResponseKind::written_response) {
    reject("crp.InvalidTransition",
           "stage '" + c_.stage + "' is answered in writing, not by a meeting");
  }
  c_.phase = Phase::meeting_held;
  c_.due_at.reset();
  start_decision_clock(s, e.occurred_at);
  add_duties(s, s.duties, DutyFrom::meeting_held, e.occurred_at);
  case_note(query_text(), s.label_for(c_.track) + " meeting held on " + date_text(e.occurred_at),
            "Awaiting the decision of " + p_.role_title(decider(s)));
}

void Engine::Step::response_rejected(const InboundEvent& e) {
  need_stage();
  const Stage& s = current();
  if (s.next.empty()) {
    close("exhausted", e.occurred_at);
    return;
  }
  escalate_to(s.next, "response_rejected", e.occurred_at, e.respond_by);
}

void Engine::Step::escalated(const InboundEvent& e) {
  need_stage();
  const Stage& s = current();
  std::string to = e.to_stage.empty() ? s.next : e.to_stage;
  if (to.empty()) reject("crp.InvalidTransition", "stage '" + s.id + "' is the last of its route");
  const Stage& target = stage_def(to);
  if (!p_.is_later_on_route(s.id, to)) {
    reject("crp.InvalidTransition", "'" + to + "' is not a later stage than '" + s.id + "'");
  }
  if (to != s.next && !target.reachable_by_skipping) {
    reject("crp.InvalidTransition", "'" + to + "' can only be reached from the stage before it");
  }
  if (to != s.next && target.skip_requires_immediate_risk && !e.immediate_risk &&
      !c_.immediate_risk) {
    reject("crp.InvalidTransition", "skipping to '" + to + "' needs immediate_risk");
  }
  if (e.immediate_risk && !c_.immediate_risk) {
    c_.immediate_risk = true;  // the risk is new: alert now, as at a raise
    alert_immediate_risk(target, e.occurred_at);
  }
  escalate_to(to, e.immediate_risk ? "immediate_risk" : "manual", e.occurred_at, e.respond_by);
}

void Engine::Step::duty_completed(const InboundEvent& e) {
  for (DutyState& d : c_.duties) {
    if (d.id == e.duty && !d.done && !d.superseded) {
      d.done = true;
      const Duty* def = duty_def(d);
      case_note(
          query_text(), "Done: " + (def ? def->label : d.id),
          "Completed on " + date_text(e.occurred_at) + (d.overdue ? " (after its deadline)" : ""));
      return;
    }
  }
  reject("crp.UnknownDuty", "no open duty " + quoted_identifier(e.duty) + " on this challenge");
}

void Engine::Step::step_down_agreed(const InboundEvent& e) {
  if (!p_.step_down_check)
    reject("crp.NotInProtocol", "protocol " + p_.id + " has no step-down check");
  open(e);
  c_.stage.clear();
  c_.phase = Phase::step_down_watch;
  // "six weeks post conference": from the conference when the event names it.
  Instant from = e.occurred_at;
  if (e.conference_date) {
    auto day = parse_iso8601(*e.conference_date + "T12:00:00Z");
    if (!day || !in_service_years(*day) || *day > e.occurred_at + std::chrono::hours(24))
      reject("crp.InvalidTransition", "conference_date is not a date on or before the event");
    from = *day;
  }
  c_.check_due_at = rt_.due(from, p_.step_down_check->after);
  lifecycle(
      LifecycleEvent{"step_down.check_scheduled", "", "", "", "", "", "", "", c_.check_due_at},
      e.occurred_at);
  case_note("Step down to Child in Need", "Step-down check scheduled",
            "Check due " + date_text(*c_.check_due_at));
}

void Engine::Step::step_down_checked(const InboundEvent& e) {
  if (c_.phase != Phase::step_down_watch)
    reject("crp.InvalidTransition", "challenge is not a step-down watch");
  if (!e.cin_plan_evidenced)
    reject("crp.SchemaViolation", "cin.step_down_checked needs cin_plan_evidenced");
  c_.check_due_at.reset();
  if (*e.cin_plan_evidenced) {
    close("resolved", e.occurred_at);
    return;
  }
  start_stage(p_.step_down_check->invoke_stage, e.occurred_at, "step_down_check_failed");
}

void Engine::Step::good_practice(const InboundEvent& e) {
  if (!p_.good_practice_notes)
    reject("crp.NotInProtocol", "protocol " + p_.id + " has no good-practice notes");
  open(e);
  c_.phase = Phase::closed;
  c_.outcome = "noted";
  const auto& g = *p_.good_practice_notes;
  lifecycle(LifecycleEvent{"good_practice.noted", "", "", "",
                           e.exemplary ? "exemplary" : "good_practice", "", "", "", std::nullopt},
            e.occurred_at);
  NotificationDecision n;
  n.template_key = "good_practice_note";
  n.reason = e.exemplary ? "Exemplary practice noted" : "Good practice noted";
  n.to = g.to;
  if (e.exemplary) add_unique(n.cc, g.exemplary_cc, n.to);
  std::vector<std::string> shared_with = n.to;
  add_unique(shared_with, n.cc);
  std::string outcome = n.reason;
  emit(std::move(n));
  case_note("Good practice case note", "Shared with " + join_titles(p_, shared_with), outcome);
}

}  // namespace crp
