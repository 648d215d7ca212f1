// What a step emits: lifecycle events, notifications, case notes, and the
// words they share.
#include "adapter/engine/step.h"

namespace crp {

void add_unique(std::vector<std::string>& into, const std::vector<std::string>& roles,
                const std::vector<std::string>& except) {
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

Effect effect_about(const Challenge& c, std::uint64_t seq, Instant at,
                    decltype(Effect::what) what) {
  Effect e;
  e.challenge_id = c.id;
  e.case_id = c.case_id;
  e.protocol = c.protocol;
  e.protocol_version = c.protocol_version;
  e.track = c.track;
  e.agency = c.agency;
  e.source_system = c.source_system;
  e.seq = seq;
  e.at = at;
  e.what = std::move(what);
  return e;
}

Effect& Engine::Step::emit(decltype(Effect::what) what) {
  out_.push_back(effect_about(c_, ++c_.seq, now_, std::move(what)));
  return out_.back();
}

void Engine::Step::lifecycle(LifecycleEvent ev, Instant at) {
  ev.occurred_at = at;
  c_.history.push_back(HistoryEntry{at, ev.type, ev.stage});
  emit(std::move(ev));
}

std::vector<std::string> Engine::Step::cc_with_always(std::vector<std::string> cc,
                                                      const std::vector<std::string>& to) const {
  std::vector<std::string> out;
  add_unique(out, cc, to);
  add_unique(out, p_.always_cc, to);
  return out;
}

void Engine::Step::notify(std::string key, std::string reason, std::vector<std::string> to,
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

void Engine::Step::case_note(std::string query, std::string action, std::string outcome,
                             bool opens_stage) {
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

std::string Engine::Step::query_text() const {
  std::string q = "Challenge under " + p_.title;
  if (!c_.categories.empty()) {
    q += "; categories: ";
    for (std::size_t i = 0; i < c_.categories.size(); ++i) q += (i ? ", " : "") + c_.categories[i];
  }
  if (c_.immediate_risk) q += "; immediate risk of significant harm";
  return q;
}

}  // namespace crp
