// Engine::Step: one event or one timer applied to one challenge. Internal to
// the engine (adapter/engine/step_*.cpp hold its parts; engine.cpp runs it).
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "adapter/engine/admission.h"
#include "adapter/engine/engine.h"
#include "adapter/engine/quoted_identifier.h"

namespace crp {

// Thrown inside a step to refuse the event; becomes its DlqDecision.
[[noreturn]] inline void reject(std::string error_class, std::string message) {
  throw Refusal{std::move(error_class), std::move(message)};
}

// Appends each role not yet in `into` and not in `except`.
void add_unique(std::vector<std::string>& into, const std::vector<std::string>& roles,
                const std::vector<std::string>& except = {});
// The roles' titles, comma separated, for emails and case notes.
std::string join_titles(const Protocol& p, const std::vector<std::string>& roles);
// Why a stage started, in words for emails and case notes.
std::string reason_text(const std::string& reason);
// An effect about challenge `c` (its ids, protocol and agency), output number `seq`, decided at
// `at`.
Effect effect_about(const Challenge& c, std::uint64_t seq, Instant at, decltype(Effect::what) what);

inline bool creates_challenge(EventType t) {
  return t == EventType::raised || t == EventType::dissent_raised ||
         t == EventType::step_down_agreed || t == EventType::good_practice_noted;
}

// Works on a copy of the challenge; the engine keeps the copy and the effects
// only if the step completes (a Refusal leaves both unused).
class Engine::Step {
 public:
  Step(const ProtocolRuntime& rt, Challenge& c, Instant now, Effects& out)
      : rt_(rt), p_(rt.protocol), c_(c), now_(now), out_(out) {}
  void on_event(const InboundEvent& e);
  // Everything due at `due` on this challenge, in a fixed order.
  void on_deadline(Instant due);
  // The calendar changed from `before`'s to this step's: recounts the open
  // deadlines (adapter/engine/step_calendar.cpp). True when the state changed.
  bool on_calendar_change(const ProtocolRuntime& before);
  // A restore moved the challenge from `from_version` (at `from_stage`) to
  // this step's version: challenge.protocol_migrated.
  void on_migrated(int from_version, const std::string& from_stage);

 private:
  // The protocol as it applies to this challenge.
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

  // What a step emits (adapter/engine/step_output.cpp).
  Effect& emit(decltype(Effect::what) what);
  void lifecycle(LifecycleEvent ev, Instant at);
  std::vector<std::string> cc_with_always(std::vector<std::string> cc,
                                          const std::vector<std::string>& to) const;
  void notify(std::string key, std::string reason, std::vector<std::string> to,
              std::vector<std::string> cc, std::optional<Instant> due);
  void case_note(std::string query, std::string action, std::string outcome,
                 bool opens_stage = false);
  std::string query_text() const;

  // Opening, moving and closing stages (adapter/engine/step_stages.cpp).
  void raise(const InboundEvent& e, const std::string& requested);
  // Walsall: "When issues are outside of the social workers remit and every
  // effort has been made to address the issue with partners then the matter
  // should be shared with the Head of Service for Safeguarding."
  void share_partner_agency_issue(Instant at);
  // Calderdale 6.10: "where a child is judged to be at risk of immediate harm
  // the CPCC will take immediate action ... alert the service manager".
  void alert_immediate_risk(const Stage& s, Instant at);
  void open(const InboundEvent& e);
  void add_duties(const Stage& s, const std::vector<Duty>& duties, DutyFrom from, Instant anchor);
  void start_stage(const std::string& id, Instant anchor, const std::string& reason,
                   const std::optional<std::string>& agreed_date = std::nullopt,
                   bool skipped = false);
  // An informal stage's agreed timescale (e.g. Calderdale: "reasonable and
  // realistic ... but will not exceed 10 working days").
  void agree_deadline(const Stage& s, Instant anchor, const std::string& date);
  // A stage's duties end with it (Rotherham: the Stage 1 form is moot once at
  // Stage 2), unless the protocol says a duty survives.
  void supersede_duties(Instant at);
  const Duty* duty_def(const DutyState& d) const;
  void escalate_to(const std::string& to, const std::string& reason, Instant anchor,
                   const std::optional<std::string>& respond_by = std::nullopt);
  void close(const std::string& outcome, Instant at);

  // Events on an open challenge (adapter/engine/step_events.cpp).
  // A response to a stage the challenge has left counts for that stage (late),
  // and leaves the current stage's clock alone.
  bool late_response(const InboundEvent& e);
  void response_received(const InboundEvent& e);
  void under_review(const Stage& s, Instant at);
  void response_approved(const InboundEvent& e);
  void meeting_scheduled(const InboundEvent& e);
  void meeting_held(const InboundEvent& e);
  void response_rejected(const InboundEvent& e);
  void escalated(const InboundEvent& e);
  void duty_completed(const InboundEvent& e);
  void step_down_agreed(const InboundEvent& e);
  void step_down_checked(const InboundEvent& e);
  void good_practice(const InboundEvent& e);

  // Reminders before deadlines (adapter/engine/step_reminders.cpp).
  std::optional<Instant> reminder_before(const Stage& s, Instant deadline, Instant set_at) const;
  void settle_reminders();
  void response_due_soon();
  void duty_due_soon(DutyState& d);
  void remind(std::string key, const Stage& s, std::string reason, const std::string& role,
              Instant due);

  // A new calendar (adapter/engine/step_calendar.cpp).
  struct Recount {
    Instant from;  // what the deadline was counted from
    Instant due;   // the deadline under the new calendar
  };
  std::vector<Instant> counted_from_candidates() const;
  std::optional<Recount> recount(const ProtocolRuntime& before, Instant due,
                                 const std::vector<std::optional<Deadline>>& rules,
                                 const std::vector<Instant>& from) const;
  std::optional<Instant> reminder_after_change(const Stage& s, Instant due, Instant from,
                                               Instant pending) const;
  void deadline_changed(const char* deadline, const Stage* s, const DutyState* d, Instant before,
                        Instant after, std::vector<std::string> to);

  // Deadlines that passed (adapter/engine/step_deadlines.cpp).
  void response_overdue(Instant due);
  // Decisions are chased: a response, a meeting or a passed deadline that
  // nobody acts on is raised with the decider once.
  void decision_overdue(Instant due);
  void duty_overdue(DutyState& d);
  void process_overdue(Instant due);
  void step_down_check_due(Instant due);

  const ProtocolRuntime& rt_;
  const Protocol& p_;
  Challenge& c_;
  Instant now_;
  Effects& out_;
};

}  // namespace crp
