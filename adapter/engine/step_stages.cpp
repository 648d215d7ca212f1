// Opening a challenge, starting, escalating and closing its stages, and the
// duties that come and go with them.
#include "adapter/engine/step.h"

#include "adapter/engine/agency_codes.h"

namespace crp {

void Engine::Step::raise(const InboundEvent& e, const std::string& requested) {
  const Route* r = nullptr;
  if (!e.route.empty()) {
    r = p_.route(e.route);
    if (!r)
      reject("crp.UnknownRoute",
             "protocol " + p_.id + " has no route " + quoted_identifier(e.route));
  }
  const std::vector<std::string>& starts = r ? r->start_stages : p_.start_stages;
  const std::string stage = requested.empty() ? starts.front() : requested;
  stage_def(stage);
  const bool allowed = r ? std::find(starts.begin(), starts.end(), stage) != starts.end()
                         : p_.may_start_at(stage, e.immediate_risk);
  if (!allowed) {
    reject("crp.InvalidTransition", "protocol " + p_.id +
                                        " does not allow a challenge to start at '" + stage + "'" +
                                        (r                  ? " on route '" + r->id + "'"
                                         : e.immediate_risk ? std::string()
                                                            : " without immediate_risk"));
  }
  c_.route = e.route;
  open(e);
  const bool skipped = stage != starts.front();
  if (e.immediate_risk) alert_immediate_risk(stage_def(stage), e.occurred_at);
  start_stage(stage, e.occurred_at, e.immediate_risk && skipped ? "immediate_risk" : "raised",
              e.respond_by, skipped);
  share_partner_agency_issue(e.occurred_at);
}

// Walsall: "When issues are outside of the social workers remit and every
// effort has been made to address the issue with partners then the matter
// should be shared with the Head of Service for Safeguarding."
void Engine::Step::share_partner_agency_issue(Instant at) {
  const auto& to = p_.partner_agency.notify_on_raise;
  if (to.empty() || !AgencyCodes::is_partner(c_.agency)) return;
  notify("partner_agency_issue",
         current().label_for(c_.track) + " raised on " + date_text(at) +
             " concerns a partner agency (" + c_.agency + ")",
         to, {chair()}, c_.due_at);
  case_note(query_text(), "Shared with " + join_titles(p_, to),
            "A partner agency (" + c_.agency + ") is involved");
}

// Calderdale 6.10: "where a child is judged to be at risk of immediate harm
// the CPCC will take immediate action ... alert the service manager".
void Engine::Step::alert_immediate_risk(const Stage& s, Instant at) {
  std::vector<std::string> alert = p_.immediate_risk.alert;
  add_unique(alert, s.immediate_risk.alert);
  if (alert.empty()) return;
  lifecycle(LifecycleEvent{"challenge.immediate_risk_alerted", s.id, s.label_for(c_.track), "",
                           "immediate_risk", "", "", "", std::nullopt},
            at);
  NotificationDecision n;
  n.template_key = "immediate_risk_alert";
  n.reason = "Immediate risk of significant harm: " + s.label_for(c_.track) + " raised on " +
             date_text(at) + "; immediate action is needed";
  n.stage = s.id;
  n.stage_label = s.label_for(c_.track);
  n.to = alert;
  n.cc = {};
  add_unique(n.cc, {chair()}, n.to);
  std::vector<std::string> told = n.to;
  add_unique(told, n.cc);
  emit(std::move(n));
  case_note(query_text(), "Immediate risk alert sent to " + join_titles(p_, told),
            "Immediate action is needed");
}

void Engine::Step::open(const InboundEvent& e) {
  c_.track = e.track.empty() ? p_.tracks.front() : e.track;
  if (!p_.has_track(c_.track))
    reject("crp.UnknownTrack",
           "protocol " + p_.id + " has no track " + quoted_identifier(c_.track));
  // Off the child's file: the case reference is not kept, so no output can carry it.
  c_.case_id = on_child_file() ? e.case_id : std::string();
  c_.protocol = e.protocol;
  c_.agency = e.agency;
  c_.categories = e.categories;
  c_.immediate_risk = e.immediate_risk;
  c_.source_system = e.source_system;
  c_.contact_emails = e.contact_emails;
  c_.team = e.team;
  c_.locality = e.locality;
  c_.opened_at = e.occurred_at;
}

void Engine::Step::add_duties(const Stage& s, const std::vector<Duty>& duties, DutyFrom from,
                              Instant anchor) {
  for (const Duty& d : duties) {
    if (d.from != from) continue;
    if (!d.tracks.empty() &&
        std::find(d.tracks.begin(), d.tracks.end(), c_.track) == d.tracks.end())
      continue;
    const Instant due = rt_.due(anchor, d.deadline);
    c_.duties.push_back(DutyState{s.id, d.id, due});
    c_.duties.back().remind_at = reminder_before(s, due, anchor);
  }
}

void Engine::Step::start_stage(const std::string& id, Instant anchor, const std::string& reason,
                               const std::optional<std::string>& agreed_date, bool skipped) {
  const Stage& s = stage_def(id);
  c_.stage = id;
  c_.phase = Phase::awaiting_response;
  c_.stage_started_at = anchor;
  c_.response_overdue = false;
  c_.meeting_at.reset();
  c_.due_at.reset();
  c_.decide_due_at.reset();
  c_.decision_overdue = false;
  const bool at_risk = c_.immediate_risk && s.immediate_risk.response_deadline;
  if (s.response_deadline || at_risk)
    c_.due_at =
        rt_.due(anchor, at_risk ? *s.immediate_risk.response_deadline : *s.response_deadline);
  if (agreed_date && (s.agreed_deadline_max || !s.response_deadline || s.earlier_respond_by))
    agree_deadline(s, anchor, *agreed_date);
  // With no response deadline the chair must still decide when to move on.
  c_.response_remind_at.reset();
  if (c_.due_at) c_.response_remind_at = reminder_before(s, *c_.due_at, anchor);
  if (!c_.due_at) start_decision_clock(s, anchor);
  add_duties(s, s.duties, DutyFrom::stage_started, anchor);
  if (c_.immediate_risk) add_duties(s, s.immediate_risk.duties, DutyFrom::stage_started, anchor);
  if (skipped && !s.on_skip_notify.empty()) {
    // Rotherham 4.1 / Calderdale 6.11: consulted or alerted before the notification goes.
    notify("stage_skip_notice",
           s.label_for(c_.track) + " started without the stages before it (" + reason_text(reason) +
               ")",
           s.on_skip_notify, {chair()}, std::nullopt);
  }
  if (p_.process_limit && !c_.process_due_at &&
      (id == p_.process_limit->from_stage ||
       p_.is_later_on_route(p_.process_limit->from_stage, id))) {
    c_.process_due_at = rt_.due(anchor, p_.process_limit->deadline);
  }

  const std::string& label = s.label_for(c_.track);
  lifecycle(LifecycleEvent{"challenge.stage_started", id, label, "", reason, "", "", "", c_.due_at},
            anchor);
  std::string due_text = c_.due_at ? "; response due " + date_text(*c_.due_at) : "";
  std::vector<std::string> cc = s.cc;
  add_unique(cc, {chair()});
  notify("stage_started",
         label + (reason == "raised" ? " raised" : " started (" + reason_text(reason) + ")") +
             due_text,
         s.to, cc, c_.due_at);
  case_note(query_text(), label + " sent to " + join_titles(p_, s.to) + due_text,
            "Awaiting " +
                std::string(s.response_kind == ResponseKind::written_response ? "response"
                            : s.response_kind == ResponseKind::meeting_held   ? "meeting"
                                                                              : "meeting date") +
                " from " + p_.role_title(s.response_by),
            /*opens_stage=*/true);
  for (const PartnerRoute& r : s.partners) {
    if (r.when == PartnerWhen::stage_started || c_.immediate_risk) {
      emit(PartnerDecision{r.route, "challenge.stage_started", id, label, c_.due_at});
    }
  }
}

// An informal stage's agreed timescale (e.g. Calderdale: "reasonable and
// realistic ... but will not exceed 10 working days").
void Engine::Step::agree_deadline(const Stage& s, Instant anchor, const std::string& date) {
  auto day = parse_iso8601(date + "T00:00:00Z");
  if (!day) reject("crp.SchemaViolation", "respond_by is not a date");
  if (!in_service_years(*day)) reject("crp.EventDateOutOfRange", "respond_by is outside 2000-2100");
  Instant agreed =
      rt_.calendar->to_utc(std::chrono::floor<std::chrono::days>(*day), p_.working_day_end);
  if (agreed < anchor) reject("crp.InvalidTransition", "respond_by is before the stage started");
  if (s.agreed_deadline_max) agreed = std::min(agreed, rt_.due(anchor, *s.agreed_deadline_max));
  // A maximum timescale: respond_by may bring it forward, never push it back.
  if (s.earlier_respond_by && c_.due_at) agreed = std::min(agreed, *c_.due_at);
  c_.due_at = agreed;
  c_.decide_due_at.reset();
}

// A stage's duties end with it (Rotherham: the Stage 1 form is moot once at
// Stage 2), unless the protocol says a duty survives.
void Engine::Step::supersede_duties(Instant at) {
  for (DutyState& d : c_.duties) {
    if (d.done || d.overdue || d.superseded) continue;
    const Duty* def = duty_def(d);
    if (def && def->survives_stage) continue;
    d.superseded = true;
    const std::string label = def ? def->label : d.id;
    lifecycle(LifecycleEvent{"duty.superseded", d.stage, stage_def(d.stage).label_for(c_.track), "",
                             "", "", d.id, label, d.due},
              at);
    case_note(query_text(), "Not done: " + label,
              "No longer required: the challenge left " + stage_def(d.stage).label_for(c_.track));
  }
}

const Duty* Engine::Step::duty_def(const DutyState& d) const {
  const Stage* s = p_.stage(d.stage);
  if (!s) return nullptr;
  for (const auto* list : {&s->duties, &s->immediate_risk.duties}) {
    for (const Duty& x : *list) {
      if (x.id == d.id) return &x;
    }
  }
  return nullptr;
}

void Engine::Step::escalate_to(const std::string& to, const std::string& reason, Instant anchor,
                               const std::optional<std::string>& respond_by) {
  std::string from = c_.stage;
  const bool skipped = current().next != to;
  // The stage being left gets its outcome on the child's file ("LCS Case
  // Notes to include: query, action, outcome") before the next one starts.
  const std::string& from_label = current().label_for(c_.track);
  const std::string& to_label = stage_def(to).label_for(c_.track);
  case_note(query_text(), from_label + " escalated to " + to_label,
            "Not resolved at " + from_label + ": " + reason_text(reason));
  supersede_duties(anchor);
  lifecycle(LifecycleEvent{"challenge.escalated", to, stage_def(to).label_for(c_.track), from,
                           reason, "", "", "", std::nullopt},
            anchor);
  start_stage(to, anchor, reason, respond_by, skipped);
}

void Engine::Step::close(const std::string& outcome, Instant at) {
  supersede_duties(at);
  c_.phase = Phase::closed;
  c_.outcome = outcome;
  c_.due_at.reset();
  c_.check_due_at.reset();
  c_.decide_due_at.reset();
  lifecycle(LifecycleEvent{"challenge.closed", c_.stage, "", "", "", outcome, "", "", std::nullopt},
            at);
  if (c_.stage.empty()) return;  // a step-down watch that ended well: nobody to tell
  const Stage& s = current();
  // Rotherham Stage 4: "sent to all senior agency representatives and the
  // Safeguarding Unit"; Calderdale Stage 3: the Independent Chair, CPCC and SQA.
  std::vector<std::string> to{chair()};
  add_unique(to, s.outcome_to);
  notify("challenge_closed", s.label_for(c_.track) + " closed: " + outcome, to, s.to, std::nullopt);
  if (!s.outcome_prompt.empty() && outcome != "withdrawn")
    notify("next_steps", s.outcome_prompt, {chair()}, {}, std::nullopt);
  for (const PartnerRoute& r : s.partners) {
    if (r.when == PartnerWhen::closed)
      emit(PartnerDecision{r.route, "challenge.closed", s.id, s.label_for(c_.track), std::nullopt});
  }
  case_note(query_text(), s.label_for(c_.track) + " closed",
            outcome == "resolved"    ? "Resolved at " + s.label_for(c_.track)
            : outcome == "withdrawn" ? "Withdrawn at " + s.label_for(c_.track)
                                     : "Process exhausted at " + s.label_for(c_.track));
}

}  // namespace crp
