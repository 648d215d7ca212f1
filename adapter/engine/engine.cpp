#include "adapter/engine/engine.h"

#include <algorithm>
#include <iterator>
#include <stdexcept>

#include "adapter/engine/agency_codes.h"
#include "adapter/engine/quoted_identifier.h"

namespace crp {
namespace {

// Thrown inside a step to reject the event; becomes a DlqDecision.
struct Rejection {
  std::string error_class;
  std::string message;
};

[[noreturn]] void reject(std::string error_class, std::string message) {
  throw Rejection{std::move(error_class), std::move(message)};
}

void add_unique(std::vector<std::string>& into, const std::vector<std::string>& roles,
                const std::vector<std::string>& except = {}) {
  for (const auto& r : roles) {
    if (std::find(into.begin(), into.end(), r) == into.end() &&
        std::find(except.begin(), except.end(), r) == except.end()) {
      into.push_back(r);
    }
  }
}

std::string join_titles(const Protocol& p, const std::vector<std::string>& roles) {
  std::string out;
  for (const auto& r : roles) {
    if (!out.empty()) out += ", ";
    out += p.role_title(r);
  }
  return out;
}

// Why a stage started, in words for emails and case notes.
std::string reason_text(const std::string& reason) {
  if (reason == "no_response") return "no response within the timescale";
  if (reason == "response_rejected") return "the previous response was not accepted";
  if (reason == "immediate_risk") return "immediate risk to the child";
  if (reason == "step_down_check_failed") return "the step-down check found no CiN plan in place";
  if (reason == "raised") return "raised";
  return "escalated by the chair";
}

// Seen ids carry the event's fingerprint after this byte (event ids are
// printable text, so it cannot occur in one).
constexpr char kFingerprintSeparator = '\x1f';

enum class Seen { no, same, different };

Seen seen_before(const std::vector<std::string>& seen, const std::string& id,
                 const std::string& fingerprint) {
  for (const std::string& entry : seen) {
    if (entry == id) return Seen::same;  // state from before fingerprints: cannot tell
    if (entry.size() == id.size() + 1 + fingerprint.size() &&
        entry.compare(0, id.size(), id) == 0 && entry[id.size()] == kFingerprintSeparator) {
      return entry.compare(id.size() + 1, std::string::npos, fingerprint) == 0 ? Seen::same
                                                                               : Seen::different;
    }
  }
  return Seen::no;
}

bool creates_challenge(EventType t) {
  return t == EventType::raised || t == EventType::dissent_raised ||
         t == EventType::step_down_agreed || t == EventType::good_practice_noted;
}

}  // namespace

// One event or timer applied to one challenge. Works on a copy; the engine
// keeps the copy and the effects only if the step completes.
class Engine::Step {
 public:
  Step(const ProtocolRuntime& rt, Challenge& c, Instant now, Effects& out)
      : rt_(rt), p_(rt.protocol), c_(c), now_(now), out_(out) {}

  void on_event(const InboundEvent& e) {
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
    }
  }

  // Everything due at `due` on this challenge, in a fixed order.
  void on_deadline(Instant due) {
    if (c_.due_at == due && !c_.response_overdue) response_overdue(due);
    for (std::size_t i = 0; i < c_.duties.size(); ++i) {
      DutyState& d = c_.duties[i];
      if (!d.done && !d.overdue && !d.superseded && d.due == due) duty_overdue(d);
    }
    if (c_.process_due_at == due && !c_.process_overdue) process_overdue(due);
    if (c_.check_due_at == due) step_down_check_due(due);
    if (c_.decide_due_at == due && !c_.decision_overdue && !c_.closed()) decision_overdue(due);
  }

 private:
  const Stage& stage_def(const std::string& id) const {
    const Stage* s = p_.stage(id);
    if (!s)
      reject("crp.UnknownStage", "protocol " + p_.id + " has no stage " + quoted_identifier(id));
    return *s;
  }
  const Stage& current() const { return stage_def(c_.stage); }
  const Route* route() const { return p_.route(c_.route); }
  // The route's chair: who raised it and decides what happens next.
  const std::string& chair() const {
    const Route* r = route();
    return r && !r->chair_role.empty() ? r->chair_role : p_.chair_role;
  }
  bool on_child_file() const {
    const Route* r = route();
    return !r || r->record_on_child_file;
  }
  const std::string& decider(const Stage& s) const {
    return s.decided_by.empty() ? chair() : s.decided_by;
  }
  std::string date_text(Instant t) const { return rt_.calendar->local_date_text(t); }
  // The decider's clock: "a challenge can stall for months" is never silent.
  void start_decision_clock(const Stage& s, Instant from) {
    c_.decide_due_at = rt_.due(from, s.decide_within.value_or(p_.decide_within));
    c_.decision_overdue = false;
  }
  void need_stage() const {
    if (c_.stage.empty()) reject("crp.InvalidTransition", "challenge has no active stage");
  }

  Effect& emit(decltype(Effect::what) what) {
    Effect e;
    e.challenge_id = c_.id;
    e.case_id = c_.case_id;
    e.protocol = c_.protocol;
    e.track = c_.track;
    e.agency = c_.agency;
    e.source_system = c_.source_system;
    e.seq = ++c_.seq;
    e.at = now_;
    e.what = std::move(what);
    out_.push_back(std::move(e));
    return out_.back();
  }
  void lifecycle(LifecycleEvent ev, Instant at) {
    ev.occurred_at = at;
    c_.history.push_back(HistoryEntry{at, ev.type, ev.stage});
    emit(std::move(ev));
  }
  std::vector<std::string> cc_with_always(std::vector<std::string> cc,
                                          const std::vector<std::string>& to) const {
    std::vector<std::string> out;
    add_unique(out, cc, to);
    add_unique(out, p_.always_cc, to);
    return out;
  }
  void notify(std::string key, std::string reason, std::vector<std::string> to,
              std::vector<std::string> cc, std::optional<Instant> due) {
    NotificationDecision n;
    n.template_key = std::move(key);
    n.reason = std::move(reason);
    n.stage = c_.stage;
    n.stage_label = c_.stage.empty() ? std::string() : current().label_for(c_.track);
    n.cc = cc_with_always(std::move(cc), to);
    n.to = std::move(to);
    n.due_at = due;
    emit(std::move(n));
  }
  void case_note(std::string query, std::string action, std::string outcome,
                 bool opens_stage = false) {
    // Bradford: a concern about a CPC's practice "is not to be recorded on the child's file".
    if (!on_child_file()) return;
    CaseNoteDecision n;
    n.opens_stage = opens_stage;
    n.stage = c_.stage;
    n.stage_label = c_.stage.empty() ? std::string() : current().label_for(c_.track);
    n.query = std::move(query);
    n.action = std::move(action);
    n.outcome = std::move(outcome);
    emit(std::move(n));
  }
  std::string query_text() const {
    std::string q = "Challenge under " + p_.title;
    if (!c_.categories.empty()) {
      q += "; categories: ";
      for (std::size_t i = 0; i < c_.categories.size(); ++i)
        q += (i ? ", " : "") + c_.categories[i];
    }
    if (c_.immediate_risk) q += "; immediate risk of significant harm";
    return q;
  }

  void raise(const InboundEvent& e, const std::string& requested) {
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
      reject("crp.InvalidTransition",
             "protocol " + p_.id + " does not allow a challenge to start at '" + stage + "'" +
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
  void share_partner_agency_issue(Instant at) {
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
  void alert_immediate_risk(const Stage& s, Instant at) {
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

  void open(const InboundEvent& e) {
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

  void add_duties(const Stage& s, const std::vector<Duty>& duties, DutyFrom from, Instant anchor) {
    for (const Duty& d : duties) {
      if (d.from != from) continue;
      if (!d.tracks.empty() &&
          std::find(d.tracks.begin(), d.tracks.end(), c_.track) == d.tracks.end())
        continue;
      c_.duties.push_back(DutyState{s.id, d.id, rt_.due(anchor, d.deadline)});
    }
  }

  void start_stage(const std::string& id, Instant anchor, const std::string& reason,
                   const std::optional<std::string>& agreed_date = std::nullopt,
                   bool skipped = false) {
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
    if (!c_.due_at) start_decision_clock(s, anchor);
    add_duties(s, s.duties, DutyFrom::stage_started, anchor);
    if (c_.immediate_risk) add_duties(s, s.immediate_risk.duties, DutyFrom::stage_started, anchor);
    if (skipped && !s.on_skip_notify.empty()) {
      // Rotherham 4.1 / Calderdale 6.11: consulted or alerted before the notification goes.
      notify("stage_skip_notice",
             s.label_for(c_.track) + " started without the stages before it (" +
                 reason_text(reason) + ")",
             s.on_skip_notify, {chair()}, std::nullopt);
    }
    if (p_.process_limit && !c_.process_due_at &&
        (id == p_.process_limit->from_stage ||
         p_.is_later_on_route(p_.process_limit->from_stage, id))) {
      c_.process_due_at = rt_.due(anchor, p_.process_limit->deadline);
    }

    const std::string& label = s.label_for(c_.track);
    lifecycle(
        LifecycleEvent{"challenge.stage_started", id, label, "", reason, "", "", "", c_.due_at},
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
  void agree_deadline(const Stage& s, Instant anchor, const std::string& date) {
    auto day = parse_iso8601(date + "T00:00:00Z");
    if (!day) reject("crp.SchemaViolation", "respond_by is not a date");
    if (!in_service_years(*day))
      reject("crp.EventDateOutOfRange", "respond_by is outside 2000-2100");
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
  void supersede_duties(Instant at) {
    for (DutyState& d : c_.duties) {
      if (d.done || d.overdue || d.superseded) continue;
      const Duty* def = duty_def(d);
      if (def && def->survives_stage) continue;
      d.superseded = true;
      const std::string label = def ? def->label : d.id;
      lifecycle(LifecycleEvent{"duty.superseded", d.stage, stage_def(d.stage).label_for(c_.track),
                               "", "", "", d.id, label, d.due},
                at);
      case_note(query_text(), "Not done: " + label,
                "No longer required: the challenge left " + stage_def(d.stage).label_for(c_.track));
    }
  }
  const Duty* duty_def(const DutyState& d) const {
    const Stage* s = p_.stage(d.stage);
    if (!s) return nullptr;
    for (const auto* list : {&s->duties, &s->immediate_risk.duties}) {
      for (const Duty& x : *list) {
        if (x.id == d.id) return &x;
      }
    }
    return nullptr;
  }

  void escalate_to(const std::string& to, const std::string& reason, Instant anchor,
                   const std::optional<std::string>& respond_by = std::nullopt) {
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

  void close(const std::string& outcome, Instant at) {
    supersede_duties(at);
    c_.phase = Phase::closed;
    c_.outcome = outcome;
    c_.due_at.reset();
    c_.check_due_at.reset();
    c_.decide_due_at.reset();
    lifecycle(
        LifecycleEvent{"challenge.closed", c_.stage, "", "", "", outcome, "", "", std::nullopt},
        at);
    if (c_.stage.empty()) return;  // a step-down watch that ended well: nobody to tell
    const Stage& s = current();
    // Rotherham Stage 4: "sent to all senior agency representatives and the
    // Safeguarding Unit"; Calderdale Stage 3: the Independent Chair, CPCC and SQA.
    std::vector<std::string> to{chair()};
    add_unique(to, s.outcome_to);
    notify("challenge_closed", s.label_for(c_.track) + " closed: " + outcome, to, s.to,
           std::nullopt);
    if (!s.outcome_prompt.empty() && outcome != "withdrawn")
      notify("next_steps", s.outcome_prompt, {chair()}, {}, std::nullopt);
    for (const PartnerRoute& r : s.partners) {
      if (r.when == PartnerWhen::closed)
        emit(PartnerDecision{r.route, "challenge.closed", s.id, s.label_for(c_.track),
                             std::nullopt});
    }
    case_note(query_text(), s.label_for(c_.track) + " closed",
              outcome == "resolved"    ? "Resolved at " + s.label_for(c_.track)
              : outcome == "withdrawn" ? "Withdrawn at " + s.label_for(c_.track)
                                       : "Process exhausted at " + s.label_for(c_.track));
  }

  // A response to a stage the challenge has left counts for that stage (late),
  // and leaves the current stage's clock alone.
  bool late_response(const InboundEvent& e) {
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

  void response_received(const InboundEvent& e) {
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

  void under_review(const Stage& s, Instant at) {
    c_.phase = Phase::under_review;
    c_.due_at.reset();
    start_decision_clock(s, at);
  }

  void response_approved(const InboundEvent& e) {
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

  void meeting_scheduled(const InboundEvent& e) {
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

  void meeting_held(const InboundEvent& e) {
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

  void response_rejected(const InboundEvent& e) {
    need_stage();
    const Stage& s = current();
    if (s.next.empty()) {
      close("exhausted", e.occurred_at);
      return;
    }
    escalate_to(s.next, "response_rejected", e.occurred_at, e.respond_by);
  }

  void escalated(const InboundEvent& e) {
    need_stage();
    const Stage& s = current();
    std::string to = e.to_stage.empty() ? s.next : e.to_stage;
    if (to.empty())
      reject("crp.InvalidTransition", "stage '" + s.id + "' is the last of its route");
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

  void duty_completed(const InboundEvent& e) {
    for (DutyState& d : c_.duties) {
      if (d.id == e.duty && !d.done && !d.superseded) {
        d.done = true;
        const Duty* def = duty_def(d);
        case_note(query_text(), "Done: " + (def ? def->label : d.id),
                  "Completed on " + date_text(e.occurred_at) +
                      (d.overdue ? " (after its deadline)" : ""));
        return;
      }
    }
    reject("crp.UnknownDuty", "no open duty " + quoted_identifier(e.duty) + " on this challenge");
  }

  void step_down_agreed(const InboundEvent& e) {
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

  void step_down_checked(const InboundEvent& e) {
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

  void good_practice(const InboundEvent& e) {
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

  void response_overdue(Instant due) {
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
  void decision_overdue(Instant due) {
    c_.decision_overdue = true;
    const Stage& s = current();
    const char* after = c_.phase == Phase::under_review        ? "response_received"
                        : c_.phase == Phase::meeting_held      ? "meeting_held"
                        : c_.phase == Phase::meeting_scheduled ? "meeting_date_passed"
                        : c_.response_overdue                  ? "response_overdue"
                        : c_.phase == Phase::awaiting_approval ? "awaiting_approval"
                                                               : "no_response_deadline";
    lifecycle(LifecycleEvent{"challenge.decision_overdue", s.id, s.label_for(c_.track), "", after,
                             "", "", "", due},
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

  void duty_overdue(DutyState& d) {
    d.overdue = true;
    const Stage& s = stage_def(d.stage);
    const Duty* def = duty_def(d);
    std::string label = def ? def->label : d.id;
    lifecycle(LifecycleEvent{"duty.overdue", d.stage, s.label_for(c_.track), "", "", "", d.id,
                             label, d.due},
              d.due);
    notify("duty_overdue", "Overdue: " + label, {def ? def->owner : chair()}, {chair()}, d.due);
    case_note(query_text(), "Not done by " + date_text(d.due) + ": " + label,
              "Overdue; chased with " + p_.role_title(def ? def->owner : chair()));
  }

  void process_overdue(Instant due) {
    c_.process_overdue = true;
    lifecycle(LifecycleEvent{"process.overdue", c_.stage, current().label_for(c_.track), "", "", "",
                             "", "", due},
              due);
    notify("process_overdue", "The formal process has passed its overall limit",
           p_.process_limit->notify, {}, due);
    case_note(query_text(), "The formal process passed its overall limit on " + date_text(due),
              "Referred to " + join_titles(p_, p_.process_limit->notify));
  }

  void step_down_check_due(Instant due) {
    c_.check_due_at.reset();
    lifecycle(LifecycleEvent{"step_down.check_due", "", "", "", "", "", "", "", due}, due);
    notify("step_down_check_due",
           "Check that a multi-agency CiN meeting has taken place and a CiN Plan is in place",
           p_.step_down_check->notify, {}, due);
    case_note("Step down to Child in Need", "Step-down check due " + date_text(due),
              "Referred to " + join_titles(p_, p_.step_down_check->notify));
  }

  const ProtocolRuntime& rt_;
  const Protocol& p_;
  Challenge& c_;
  Instant now_;
  Effects& out_;
};

Engine::Engine(std::shared_ptr<const ProtocolSet> protocols) : protocols_(std::move(protocols)) {}

void Engine::apply(const InboundEvent& e, Instant now, Effects& out) {
  auto dlq = [&](std::string cls, std::string msg) {
    Effect eff;
    eff.challenge_id = e.challenge_id;
    eff.case_id = e.case_id;
    eff.protocol = e.protocol;
    eff.at = now;
    eff.what = DlqDecision{std::move(cls), std::move(msg)};
    out.push_back(std::move(eff));
  };
  const ProtocolRuntime* rt = protocols_->find(e.protocol);
  if (!rt) return dlq("crp.UnknownProtocol", "unknown protocol " + quoted_identifier(e.protocol));

  for (const auto& at : {std::optional<Instant>(e.occurred_at), e.meeting_at}) {
    if (at && !in_service_years(*at))
      return dlq("crp.EventDateOutOfRange", "a date of the event is outside 2000-2100");
  }
  const TimerQueue::Slot found = index_.find(e.challenge_id, slots_);
  Challenge work;
  const std::string fingerprint = event_fingerprint(e);
  if (found != ChallengeIndex::kNone) {
    const Challenge& existing = slots_[found];
    switch (seen_before(existing.seen_event_ids, e.event_id, fingerprint)) {
      case Seen::same:
        return;  // a redelivery: ignore
      case Seen::different:
        return dlq("crp.EventIdConflict",
                   "event_id was already used for a different event on this challenge");
      case Seen::no:
        break;
    }
    if (creates_challenge(e.type)) return dlq("crp.DuplicateChallenge", "challenge already exists");
    if (existing.protocol != e.protocol)
      return dlq("crp.ProtocolMismatch", "challenge runs under " + existing.protocol);
    if (existing.closed()) return dlq("crp.ChallengeClosed", "challenge is closed");
    if (e.occurred_at < existing.last_event_at)
      return dlq("crp.OutOfOrder", "event is older than the challenge's last event");
    work = existing;
  } else {
    if (!creates_challenge(e.type)) return dlq("crp.UnknownChallenge", "no such challenge");
    work.id = e.challenge_id;
    work.protocol = e.protocol;
  }

  Effects produced;
  try {
    Step(*rt, work, now, produced).on_event(e);
  } catch (const Rejection& r) {
    return dlq(r.error_class, r.message);
  }
  work.last_event_at = e.occurred_at;
  work.seen_event_ids.push_back(e.event_id + kFingerprintSeparator + fingerprint);
  TimerQueue::Slot slot = slot_for(e.challenge_id);
  slots_[slot] = std::move(work);
  sync_timer(slot);
  std::move(produced.begin(), produced.end(), std::back_inserter(out));
}

void Engine::advance_to(Instant now, Effects& out) {
  const auto now_ms = now.time_since_epoch().count();
  while (auto entry = timers_.pop_due(now_ms)) {
    fire(entry->slot, Instant(std::chrono::milliseconds(entry->due)), now, out);
  }
}

void Engine::fire(TimerQueue::Slot slot, Instant due, Instant now, Effects& out) {
  Challenge& c = slots_[slot];
  if (c.closed()) {  // its retention ran out: forget it, tombstone its state
    forgotten_.push_back(c.id);
    drop(c.id);
    return;
  }
  const ProtocolRuntime* rt = protocols_->find(c.protocol);
  if (!rt) throw std::logic_error("challenge " + c.id + " runs under a protocol no longer loaded");
  // A deadline that passed while nobody was looking (late event, restart) is
  // decided now; what it records still happened at the deadline.
  Step(*rt, c, std::max(due, now), out).on_deadline(due);
  if (auto next = c.next_deadline(); next && *next <= due) {
    throw std::logic_error("deadline of challenge " + c.id + " did not advance");  // would loop
  }
  if (!is_dirty_[slot]) {
    is_dirty_[slot] = true;
    dirty_.push_back(slot);
  }
  sync_timer(slot);
}

std::optional<Instant> Engine::next_due() const {
  if (timers_.empty()) return std::nullopt;
  return Instant(std::chrono::milliseconds(timers_.top().due));
}

const Challenge* Engine::find(const std::string& id) const {
  const TimerQueue::Slot slot = index_.find(id, slots_);
  return slot == ChallengeIndex::kNone ? nullptr : &slots_[slot];
}

void Engine::restore(Challenge c) {
  TimerQueue::Slot slot = slot_for(c.id, /*mark_dirty=*/false);
  slots_[slot] = std::move(c);
  sync_timer(slot);
}

void Engine::reserve(std::size_t challenges) {
  index_.reserve(challenges);
  slots_.reserve(challenges);
  is_dirty_.reserve(challenges);
  timers_.reserve(challenges);
}

void Engine::drop(const std::string& id) {
  const TimerQueue::Slot slot = index_.erase(id, slots_);
  if (slot == ChallengeIndex::kNone) return;
  timers_.cancel(slot);
  slots_[slot] = Challenge{};
  free_slots_.push_back(slot);
}

std::vector<std::string> Engine::take_dirty() {
  std::vector<std::string> ids;
  ids.reserve(dirty_.size());
  for (TimerQueue::Slot s : dirty_) {
    is_dirty_[s] = false;
    if (!slots_[s].id.empty()) ids.push_back(slots_[s].id);
  }
  dirty_.clear();
  std::move(forgotten_.begin(), forgotten_.end(), std::back_inserter(ids));
  forgotten_.clear();
  return ids;
}

TimerQueue::Slot Engine::slot_for(const std::string& id, bool mark_dirty) {
  TimerQueue::Slot slot = index_.find(id, slots_);
  if (slot == ChallengeIndex::kNone) {
    slot = allocate_slot();
    // The index confirms a match against slots_[slot].id: the caller stores
    // the challenge (with this id) in the slot before the next lookup.
    index_.insert(id, slot);
  }
  if (mark_dirty && !is_dirty_[slot]) {
    is_dirty_[slot] = true;
    dirty_.push_back(slot);
  }
  return slot;
}

TimerQueue::Slot Engine::allocate_slot() {
  if (!free_slots_.empty()) {
    const TimerQueue::Slot slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  slots_.emplace_back();
  is_dirty_.push_back(false);
  return static_cast<TimerQueue::Slot>(slots_.size() - 1);
}

void Engine::sync_timer(TimerQueue::Slot slot) {
  const Challenge& c = slots_[slot];
  if (c.closed() && closed_retention_.count() > 0) {
    // Closing is the last lifecycle entry of the history.
    const Instant closed_at = c.history.empty() ? c.last_event_at : c.history.back().at;
    timers_.set(slot, (closed_at + closed_retention_).time_since_epoch().count());
    return;
  }
  if (auto next = c.next_deadline()) {
    timers_.set(slot, next->time_since_epoch().count());
  } else {
    timers_.cancel(slot);
  }
}

}  // namespace crp
