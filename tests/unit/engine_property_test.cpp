// Random event sequences over every protocol and route: the engine never
// crashes, never speaks for a closed challenge, never sets a deadline before its
// stage began, never lets a left stage's duty fall overdue (unless it survives
// its stage), never writes a route off the child's file to it, and is
// deterministic.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "adapter/engine/challenge_codec.h"
#include "tests/unit/engine_fixture.h"

namespace crp {
namespace {

using testing::example_config;

struct Generated {
  std::vector<InboundEvent> events;
};

Generated generate(std::uint32_t seed, int n) {
  std::mt19937 rng(seed);
  const auto& protocols = example_config().protocols->all();
  std::vector<std::string> ids;
  for (const auto& [id, _] : protocols) ids.push_back(id);
  const std::vector<std::string> stages{"informal",
                                        "dissent",
                                        "level1",
                                        "level2",
                                        "stage1",
                                        "stage2",
                                        "stage3",
                                        "stage4",
                                        "stage5",
                                        "final",
                                        "bogus",
                                        "dissent_board",
                                        "pc_team_manager",
                                        "pc_service_manager",
                                        "director_decision",
                                        "hscb_referral"};
  const std::vector<std::string> duties{"stage1_form",
                                        "stage2_form",
                                        "stage3_form",
                                        "director_notified",
                                        "nope",
                                        "stage3_meeting_summary",
                                        "note_difference",
                                        "consider_cafcass",
                                        "convene_conference_different_cpcc"};
  const std::vector<std::string> routes{"practice_concern", "other_agency", "bogus"};
  Generated g;
  Instant t = *parse_iso8601("2026-12-01T09:00:00Z");
  for (int i = 0; i < n; ++i) {
    t += std::chrono::minutes(rng() % (60 * 24 * 4));
    InboundEvent e;
    e.type = static_cast<EventType>(rng() % 15);
    e.event_id = "e" + std::to_string(rng() % (n + n / 10));           // some repeats
    e.occurred_at = rng() % 20 == 0 ? t - std::chrono::hours(30) : t;  // some out of order
    int c = rng() % 12;
    e.challenge_id = "C" + std::to_string(c);
    e.case_id = "K" + std::to_string(c);
    e.protocol = rng() % 25 == 0 ? "unknown" : ids[c % ids.size()];
    if (rng() % 2) e.stage = stages[rng() % stages.size()];
    if (rng() % 2) e.to_stage = stages[rng() % stages.size()];
    e.immediate_risk = rng() % 4 == 0;
    e.track = rng() % 3 == 0 ? "lac" : "";
    e.duty = duties[rng() % duties.size()];
    if (rng() % 3 == 0) e.approved_by = "group_manager";
    if (rng() % 2) e.cin_plan_evidenced = rng() % 2;
    if (rng() % 5 == 0) e.respond_by = "2027-01-0" + std::to_string(1 + rng() % 9);
    if (rng() % 8 == 0) e.route = routes[rng() % routes.size()];
    g.events.push_back(e);
  }
  return g;
}

struct Violations {
  int stale_duties = 0;  // duty.overdue for a stage the challenge has left
  int off_file = 0;      // a case note or case_id for a route off the child's file
  int routed = 0;        // challenges that ran on a route other than the main one
  int superseded = 0;    // duty.superseded seen (the generator reaches it)
  std::map<std::string, std::string> stage_of;  // as the effects tell it, in order
};

bool survives(const Challenge& c, const std::string& stage, const std::string& duty) {
  const ProtocolRuntime* rt = example_config().protocols->find(c.protocol);
  const Stage* s = rt ? rt->protocol.stage(stage) : nullptr;
  if (!s) return false;
  for (const auto* list : {&s->duties, &s->immediate_risk.duties}) {
    for (const Duty& d : *list) {
      if (d.id == duty) return d.survives_stage;
    }
  }
  return false;
}

bool off_file(const Challenge& c) {
  const ProtocolRuntime* rt = example_config().protocols->find(c.protocol);
  const Route* r = rt ? rt->protocol.route(c.route) : nullptr;
  return r && !r->record_on_child_file;
}

void check(const Engine& engine, const Effect& eff, Violations& v) {
  const Challenge* c = engine.find(eff.challenge_id);
  if (!c || std::holds_alternative<DlqDecision>(eff.what)) return;
  if (off_file(*c) && (!eff.case_id.empty() || std::holds_alternative<CaseNoteDecision>(eff.what)))
    ++v.off_file;
  if (auto* l = std::get_if<LifecycleEvent>(&eff.what)) {
    if (l->type == "challenge.stage_started") v.stage_of[eff.challenge_id] = l->stage;
    if (l->type == "duty.overdue" && l->stage != v.stage_of[eff.challenge_id] &&
        !survives(*c, l->stage, l->duty))
      ++v.stale_duties;
    if (l->type == "duty.superseded") ++v.superseded;
  }
}

// engine_effects: the effects that are not dead letters (the liveness guard).
std::string run(const Generated& g, int& closed_speech, int& early_deadlines, int& engine_effects,
                Violations& v) {
  Engine engine(example_config().protocols);
  std::string transcript;
  Instant clock{};
  for (const auto& e : g.events) {
    Effects out;
    if (e.occurred_at > clock) {
      engine.advance_to(e.occurred_at - std::chrono::milliseconds(1), out);
      clock = e.occurred_at;
    }
    const Challenge* before = engine.find(e.challenge_id);
    bool was_closed = before && before->closed();
    engine.apply(e, clock, out);
    for (const auto& eff : out) {
      check(engine, eff, v);
      if (!std::holds_alternative<DlqDecision>(eff.what)) ++engine_effects;
      if (was_closed && eff.challenge_id == e.challenge_id &&
          !std::holds_alternative<DlqDecision>(eff.what)) {
        ++closed_speech;
      }
      if (auto* l = std::get_if<LifecycleEvent>(&eff.what)) {
        const Challenge* c = engine.find(eff.challenge_id);
        if (l->type == "challenge.stage_started" && l->due_at && c &&
            *l->due_at < c->stage_started_at) {
          ++early_deadlines;
        }
      }
      transcript +=
          eff.id() + " " + format_iso8601(eff.at) + " " + std::to_string(eff.what.index()) + "\n";
    }
  }
  Effects tail;
  engine.advance_to(*parse_iso8601("2028-06-01T00:00:00Z"), tail);
  for (const auto& eff : tail) {
    check(engine, eff, v);
    if (!std::holds_alternative<DlqDecision>(eff.what)) ++engine_effects;
    transcript += eff.id() + " " + format_iso8601(eff.at) + "\n";
  }
  engine.for_each([&](const Challenge& c) {
    if (!c.route.empty()) ++v.routed;
    transcript += encode_challenge(c) + "\n";
    for (const auto& d : c.duties) {
      if (d.due < c.opened_at) ++early_deadlines;
    }
  });
  return transcript;
}

TEST(EngineProperties, RandomSequencesAreSafeAndDeterministic) {
  int total_effects = 0, routed = 0, superseded = 0;
  for (std::uint32_t seed = 1; seed <= 200; ++seed) {
    Generated g = generate(seed, 300);
    int closed_a = 0, early_a = 0, closed_b = 0, early_b = 0, effects_a = 0, effects_b = 0;
    Violations va, vb;
    std::string a = run(g, closed_a, early_a, effects_a, va);
    std::string b = run(g, closed_b, early_b, effects_b, vb);
    ASSERT_EQ(a, b) << "seed " << seed << " is not deterministic";
    ASSERT_EQ(closed_a, 0) << "seed " << seed << ": output for a closed challenge";
    ASSERT_EQ(early_a, 0) << "seed " << seed << ": deadline before its stage started";
    ASSERT_EQ(va.stale_duties, 0) << "seed " << seed << ": a left stage's duty fell overdue";
    ASSERT_EQ(va.off_file, 0) << "seed " << seed << ": an off-file route reached the child's file";
    total_effects += effects_a;
    routed += va.routed;
    superseded += va.superseded;
  }
  // Routes and superseded duties are reached, so their properties are tested.
  EXPECT_GT(routed, 0);
  EXPECT_GT(superseded, 0);
  // The generator must actually exercise the engine, not only the DLQ: dead
  // letters and state lines are not counted (21,398 effects when written).
  EXPECT_GT(total_effects, 15000);
}

}  // namespace
}  // namespace crp
