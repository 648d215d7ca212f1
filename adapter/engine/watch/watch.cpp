#include "adapter/engine/watch/watch.h"

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include "adapter/engine/admission.h"
#include "adapter/engine/fnv1a.h"

namespace crp {
namespace {

// When the pre-conference summary goes out on its day: the start of a working
// day, so the conversation can happen that day (a product default).
constexpr LocalTimeOfDay kSummaryTime{9 * 60};

std::string plan_protocol_mismatch(const std::string&) {
  return "the plan is watched under another protocol";
}

// The local date `d` before `day`: working days count back over days off; a
// calendar-day deadline that lands on a day off moves earlier, to the working
// day before ("in advance" must not shrink to nothing over a weekend).
std::chrono::sys_days days_before(const WorkingCalendar& cal, std::chrono::sys_days day,
                                  const Deadline& d) {
  if (d.unit == DeadlineUnit::working_days) return cal.subtract_working_days(day, d.amount);
  day -= std::chrono::days(d.unit == DeadlineUnit::weeks ? 7 * d.amount : d.amount);
  while (d.roll_to_working_day && !cal.is_working_day(day)) day -= std::chrono::days(1);
  return day;
}

bool is_ending(const std::string& plan_outcome) {
  return plan_outcome == "no_plan" || plan_outcome == "step_down_cin" ||
         plan_outcome == "plan_ended";
}

}  // namespace

std::optional<Instant> WatchedPlan::next_check() const {
  std::optional<Instant> next;
  auto consider = [&](Instant t) {
    if (!next || t < *next) next = t;
  };
  for (const auto& c : conferences) {
    for (const auto& [rule, due] : c.checks) consider(due);
    if (c.summary_due) consider(*c.summary_due);
  }
  for (const auto& clock : clocks) consider(clock.due);
  return next;
}

std::string Watch::plan_of(const std::string& finding_id) {
  const auto last = finding_id.rfind('/');
  if (last == std::string::npos || last == 0) return {};
  const auto rule = finding_id.rfind('/', last - 1);
  return rule == std::string::npos ? std::string() : finding_id.substr(0, rule);
}

// One event or one due check on one plan: decides its effects.
class Watch::Check {
 public:
  Check(const ProtocolRuntime& rt, WatchedPlan& plan, Instant now, Effects& out)
      : rt_(rt), p_(rt.protocol), watch_(rt.protocol.watch), plan_(plan), now_(now), out_(out) {}

  void on_event(const InboundEvent& e) {
    if (!e.team.empty()) plan_.team = e.team;
    if (!e.locality.empty()) plan_.locality = e.locality;
    switch (e.type) {
      case EventType::conference_scheduled:
        return schedule(e);
      case EventType::conference_held:
        return held(e);
      case EventType::conference_cancelled:
        return cancelled(e);
      case EventType::report_shared:
      case EventType::consultation_form_completed:
      case EventType::interpreter_booked:
        return done_for_conference(e);
      case EventType::core_group_held:
      case EventType::child_seen:
        return recurred(e);
      case EventType::suggestion_dismissed:
        return dismissed(e);
      default:
        return;  // plan.ended: the caller forgets the plan
    }
  }

  void on_due(Instant t) {
    for (auto& c : plan_.conferences) {
      auto due_now = [&](const std::pair<std::string, Instant>& check) {
        return check.second <= t;
      };
      std::vector<std::pair<std::string, Instant>> fired;
      std::copy_if(c.checks.begin(), c.checks.end(), std::back_inserter(fired), due_now);
      std::erase_if(c.checks, due_now);
      for (const auto& [rule_id, due] : fired) {
        const WatchRule* rule = watch_.rule(rule_id);
        if (rule && c.status == ConferenceStatus::scheduled && !c.done_at(rule->activity))
          find(*rule, c.id, due, std::nullopt, due);
      }
      if (c.summary_due && *c.summary_due <= t) {
        const Instant at = *c.summary_due;
        c.summary_due.reset();
        if (c.status == ConferenceStatus::scheduled) summarise(c, at);
      }
    }
    for (auto& clock : plan_.clocks) {
      const WatchRule* rule = watch_.rule(clock.rule);
      while (rule && rule->every && clock.due <= t) {
        const Instant due = clock.due;
        find(*rule, "", due, clock.last, due);
        // The next cycle, so one missed meeting is one finding, not one a day.
        clock.due = rt_.due(due, *rule->every);
      }
    }
  }

  void take_up(const std::string& finding_id, const std::string& challenge_id) {
    for (auto& f : plan_.findings) {
      if (f.id != finding_id || f.status != FindingStatus::open) continue;
      f.status = FindingStatus::taken_up;
      f.challenge_id = challenge_id;
      LifecycleEvent ev;
      ev.type = "watch.suggestion_taken_up";
      ev.rule = f.rule;
      ev.finding_id = f.id;
      ev.conference_id = f.conference_id;
      ev.linked_challenge_id = challenge_id;
      ev.occurred_at = now_;
      emit(std::move(ev));
    }
  }

 private:
  WatchedConference& conference(const std::string& id) {
    for (auto& c : plan_.conferences) {
      if (c.id == id) return c;
    }
    WatchedConference c;
    c.id = id;
    plan_.conferences.push_back(std::move(c));
    return plan_.conferences.back();
  }

  void schedule(const InboundEvent& e) {
    WatchedConference& c = conference(e.conference_id);
    c.kind = e.conference_kind;
    c.at = *e.conference_at;
    c.status = ConferenceStatus::scheduled;
    c.interpreter_needed = e.interpreter_needed;
    // Scheduled or moved: every check counts from the (new) date.
    c.checks.clear();
    const auto day = rt_.calendar->local_date(c.at);
    for (const auto& rule : watch_.rules) {
      if (rule.kind != WatchRuleKind::before_conference || c.done_at(rule.activity)) continue;
      if (rule.only_if == "interpreter_needed" && !c.interpreter_needed) continue;
      auto before = rule.before.find(c.kind);
      if (before == rule.before.end()) continue;
      c.checks.emplace_back(rule.id,
                            rt_.calendar->to_utc(days_before(*rt_.calendar, day, before->second),
                                                 p_.working_day_end));
    }
    c.summary_due.reset();
    if (const auto& s = watch_.pre_conference_summary) {
      c.summary_due =
          rt_.calendar->to_utc(days_before(*rt_.calendar, day, s->before), kSummaryTime);
    }
  }

  void held(const InboundEvent& e) {
    WatchedConference& c = conference(e.conference_id);
    c.status = ConferenceStatus::held;
    c.checks.clear();
    c.summary_due.reset();
    if (!e.conference_kind.empty()) c.kind = e.conference_kind;
    if (e.conference_at) c.at = *e.conference_at;
    // An initial conference that made a plan starts the plan's recurring
    // clocks. Without an outcome the plan is taken to exist: watching it tells
    // a person, not watching it could miss a child.
    if (c.kind == "initial" && !is_ending(e.plan_outcome) && !plan_.started_at) {
      const Instant start = e.conference_at.value_or(e.occurred_at);
      plan_.started_at = start;
      for (const auto& rule : watch_.rules) {
        if (rule.kind != WatchRuleKind::recurring) continue;
        if (std::any_of(plan_.clocks.begin(), plan_.clocks.end(),
                        [&](const RecurringClock& k) { return k.rule == rule.id; }))
          continue;
        const Deadline first = rule.first_within.value_or(rule.every.value_or(Deadline{}));
        plan_.clocks.push_back({rule.id, std::nullopt, rt_.due(start, first)});
      }
    }
  }

  void cancelled(const InboundEvent& e) {
    WatchedConference& c = conference(e.conference_id);
    c.status = ConferenceStatus::cancelled;
    c.checks.clear();
    c.summary_due.reset();
    for (const auto& rule : watch_.rules) {
      if (rule.kind == WatchRuleKind::on_activity && rule.activity == to_string(e.type))
        find(rule, c.id, c.at == Instant{} ? e.occurred_at : c.at, e.occurred_at, e.occurred_at);
    }
  }

  void done_for_conference(const InboundEvent& e) {
    WatchedConference& c = conference(e.conference_id);
    const std::string activity = to_string(e.type);
    if (!c.done_at(activity)) c.done.emplace_back(activity, e.occurred_at);
    // Any check still pending is not yet due (due checks fire before events).
    std::erase_if(c.checks, [&](const auto& check) {
      const WatchRule* rule = watch_.rule(check.first);
      return rule && rule->activity == activity;
    });
  }

  void recurred(const InboundEvent& e) {
    const std::string activity = to_string(e.type);
    for (const auto& rule : watch_.rules) {
      if (rule.kind != WatchRuleKind::recurring || rule.activity != activity || !rule.every)
        continue;
      auto it = std::find_if(plan_.clocks.begin(), plan_.clocks.end(),
                             [&](const RecurringClock& k) { return k.rule == rule.id; });
      if (it == plan_.clocks.end()) {
        plan_.clocks.push_back({rule.id, std::nullopt, Instant{}});
        it = std::prev(plan_.clocks.end());
      }
      it->last = e.occurred_at;
      it->due = rt_.due(e.occurred_at, *rule.every);
    }
  }

  void dismissed(const InboundEvent& e) {
    for (auto& f : plan_.findings) {
      if (f.id != e.finding_id) continue;
      if (f.status != FindingStatus::open)
        throw Refusal{"crp.FindingClosed", "the finding was already dismissed or taken up"};
      f.status = FindingStatus::dismissed;
      LifecycleEvent ev;
      ev.type = "watch.suggestion_dismissed";
      ev.rule = f.rule;
      ev.finding_id = f.id;
      ev.conference_id = f.conference_id;
      ev.occurred_at = e.occurred_at;
      emit(std::move(ev));
      return;
    }
    throw Refusal{"crp.UnknownFinding", "no such finding on this plan"};
  }

  void find(const WatchRule& rule, const std::string& conference_id, Instant due,
            std::optional<Instant> actual, Instant occurred) {
    std::size_t n = 1;
    for (const auto& f : plan_.findings) n += f.rule == rule.id ? 1 : 0;
    Finding f;
    f.id = plan_.id + "/" + rule.id + "/" + std::to_string(n);
    f.rule = rule.id;
    f.conference_id = conference_id;
    f.due = due;
    f.actual = actual;
    f.found_at = occurred;
    const Stage* stage = p_.stage(rule.suggest_stage);
    const std::string stage_label = stage ? stage->label : rule.suggest_stage;

    LifecycleEvent ev;
    ev.type = "watch.breach";
    ev.stage = rule.suggest_stage;
    ev.stage_label = stage_label;
    ev.rule = rule.id;
    ev.finding_id = f.id;
    ev.conference_id = conference_id;
    ev.due_at = due;
    ev.actual_at = actual;
    ev.occurred_at = occurred;
    emit(std::move(ev));

    NotificationDecision n_;
    n_.template_key = "watch_suggestion";
    n_.stage = rule.suggest_stage;
    n_.stage_label = stage_label;
    n_.to = rule.notify.empty() ? watch_.notify : rule.notify;
    if (n_.to.empty()) n_.to = {p_.chair_role};
    n_.due_at = due;
    n_.reason = rule.label + ": " + what_happened(rule, conference_id, due, actual) +
                " The protocol gives this as an example at " + stage_label +
                ". Raise a challenge there if it applies, or dismiss the suggestion (finding " +
                f.id + ").";
    emit(std::move(n_));

    if (rule.case_note) {
      CaseNoteDecision note;
      note.stage = rule.suggest_stage;
      note.stage_label = stage_label;
      note.query = rule.label + ": " + what_happened(rule, conference_id, due, actual);
      note.action = "Suggested to the " + p_.role_title(p_.chair_role) + " as a possible " +
                    stage_label + " (finding " + f.id + ")";
      note.outcome = "Awaiting the " + p_.role_title(p_.chair_role) + "'s decision";
      emit(std::move(note));
    }
    plan_.findings.push_back(std::move(f));
  }

  std::string what_happened(const WatchRule& rule, const std::string& conference_id, Instant due,
                            std::optional<Instant> actual) const {
    const auto date = [&](Instant t) { return rt_.calendar->local_date_text(t); };
    switch (rule.kind) {
      case WatchRuleKind::before_conference:
        return "not recorded by the end of " + date(due) + " for conference " + conference_id + ".";
      case WatchRuleKind::recurring:
        return "none recorded by " + date(due) +
               (actual ? " (the last on " + date(*actual) + ")."
                       : ", none since the plan started.");
      case WatchRuleKind::on_activity:
        return "recorded on " + date(actual.value_or(due)) + " for conference " + conference_id +
               ".";
    }
    return {};
  }

  void summarise(const WatchedConference& c, Instant at) {
    const auto& s = *watch_.pre_conference_summary;
    LifecycleEvent ev;
    ev.type = "watch.pre_conference_check";
    ev.conference_id = c.id;
    ev.due_at = c.at;
    ev.occurred_at = at;
    std::string missing_text;
    for (const auto& rule_id : s.checks) {
      const WatchRule* rule = watch_.rule(rule_id);
      if (!rule || c.done_at(rule->activity)) continue;
      if (rule->only_if == "interpreter_needed" && !c.interpreter_needed) continue;
      if (!rule->before.contains(c.kind)) continue;
      ev.missing.push_back(rule->id);
      missing_text += (missing_text.empty() ? "" : "; ") + rule->label;
    }
    NotificationDecision n_;
    n_.template_key = "pre_conference_summary";
    n_.to = s.to.empty() ? std::vector<std::string>{p_.chair_role} : s.to;
    n_.cc = s.cc;
    n_.due_at = c.at;
    n_.reason = "The " + std::string(c.kind == "initial" ? "initial" : "review") + " conference " +
                c.id + " is on " + rt_.calendar->local_date_text(c.at) + ". " +
                (missing_text.empty() ? "Nothing the watch looks for is missing."
                                      : "Not yet recorded: " + missing_text + ".");
    for (const auto& line : s.reminders) n_.reason += " " + line;
    emit(std::move(ev));
    emit(std::move(n_));
  }

  template <typename T>
  void emit(T what) {
    Effect e;
    e.plan_id = plan_.id;
    e.case_id = plan_.case_id;
    e.protocol = plan_.protocol;
    e.source_system = plan_.source_system;
    e.seq = ++plan_.seq;
    e.at = now_;
    e.what = std::move(what);
    out_.push_back(std::move(e));
  }

  const ProtocolRuntime& rt_;
  const Protocol& p_;
  const WatchConfig& watch_;
  WatchedPlan& plan_;
  Instant now_;
  Effects& out_;
};

void Watch::apply(const InboundEvent& e, Instant now, Effects& out) {
  const Admission admission(e, now, out, Admission::Subject::plan);
  const ProtocolRuntime* rt = admission.protocol(*protocols_, "unknown protocol");
  if (!rt) return;
  if (rt->protocol.watch.empty())
    return admission.refuse(
        {"crp.NotWatched", "the protocol has no watch rules for case activity"});
  if (!admission.dates_in_range(e.conference_at)) return;
  // What a plan keeps of each event it applied: digests of its id and content.
  const WatchedPlan::Seen seen{fnv1a64(e.event_id), event_fingerprint(e)};
  WatchedPlan work;
  if (auto it = plans_.find(e.plan_id); it != plans_.end()) {
    const WatchedPlan& existing = it->second;
    SeenBefore before = SeenBefore::no;
    for (const auto& s : existing.seen_events) {
      if (s.id == seen.id) {
        before = s == seen ? SeenBefore::same_content : SeenBefore::other_content;
        break;
      }
    }
    const Admission::Held held{before, existing.protocol, plan_protocol_mismatch,
                               existing.last_event_at};
    if (admission.against(held) != Admission::Verdict::admit) return;
    work = existing;
  } else {
    if (e.type == EventType::suggestion_dismissed)
      return admission.refuse({"crp.UnknownFinding", "no such plan is watched"});
    work.id = e.plan_id;
    work.protocol = e.protocol;
    work.case_id = e.case_id;
    work.source_system = e.source_system;
  }
  if (e.type == EventType::plan_ended ||
      (e.type == EventType::conference_held && is_ending(e.plan_outcome))) {
    // Nothing left to watch: forget the plan (its changelog key is deleted).
    if (plans_.contains(e.plan_id)) forget(e.plan_id);
    return;
  }
  Effects produced;
  try {
    Check(*rt, work, now, produced).on_event(e);
  } catch (Refusal& r) {
    return admission.refuse(std::move(r));
  }
  work.last_event_at = e.occurred_at;
  work.seen_events.push_back(seen);
  // A plan lives for years; its seen ids only need to outlast redelivery.
  constexpr std::size_t kSeenKept = 64;
  if (work.seen_events.size() > kSeenKept) work.seen_events.erase(work.seen_events.begin());
  WatchedPlan& stored = plans_[e.plan_id] = std::move(work);
  mark_dirty(e.plan_id);
  sync_timer(stored);
  std::move(produced.begin(), produced.end(), std::back_inserter(out));
}

void Watch::take_up(const std::string& finding_id, const std::string& challenge_id, Instant now,
                    Effects& out) {
  auto it = plans_.find(plan_of(finding_id));
  if (it == plans_.end()) return;  // watched on another partition: the challenge still names it
  const ProtocolRuntime* rt = protocols_->find(it->second.protocol);
  if (!rt) return;
  const std::size_t before = out.size();
  Check(*rt, it->second, now, out).take_up(finding_id, challenge_id);
  if (out.size() != before) mark_dirty(it->first);
}

void Watch::advance_to(Instant now, Effects& out) {
  while (!timers_.empty() && timers_.begin()->first <= now) {
    const auto [due, id] = *timers_.begin();
    WatchedPlan& plan = plans_.at(id);
    const ProtocolRuntime* rt = protocols_->find(plan.protocol);
    if (!rt) throw std::logic_error("plan " + id + " is watched under a protocol no longer loaded");
    Check(*rt, plan, std::max(due, now), out).on_due(due);
    if (auto next = plan.next_check(); next && *next <= due)
      throw std::logic_error("the next check of plan " + id + " did not advance");  // would loop
    mark_dirty(id);
    sync_timer(plan);
  }
}

std::optional<Instant> Watch::next_due() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first;
}

const WatchedPlan* Watch::find(const std::string& plan_id) const {
  auto it = plans_.find(plan_id);
  return it == plans_.end() ? nullptr : &it->second;
}

void Watch::restore(WatchedPlan plan) {
  std::string id = plan.id;
  WatchedPlan& stored = plans_[id] = std::move(plan);
  sync_timer(stored);
}

void Watch::drop(const std::string& plan_id) {
  if (auto t = timer_of_.find(plan_id); t != timer_of_.end()) {
    timers_.erase({t->second, plan_id});
    timer_of_.erase(t);
  }
  plans_.erase(plan_id);
}

void Watch::forget(const std::string& id) {
  drop(id);
  mark_dirty(id);
}

std::vector<std::string> Watch::take_dirty() {
  std::vector<std::string> ids = std::move(dirty_);
  dirty_.clear();
  is_dirty_.clear();
  return ids;
}

void Watch::sync_timer(const WatchedPlan& plan) {
  if (auto t = timer_of_.find(plan.id); t != timer_of_.end()) {
    timers_.erase({t->second, plan.id});
    timer_of_.erase(t);
  }
  if (auto next = plan.next_check()) {
    timers_.emplace(*next, plan.id);
    timer_of_.emplace(plan.id, *next);
  }
}

void Watch::mark_dirty(const std::string& id) {
  if (is_dirty_.insert(id).second) dirty_.push_back(id);
}

}  // namespace crp
