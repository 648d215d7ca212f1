// Random event sequences over every protocol: the engine never crashes, never
// speaks for a closed challenge, never sets a deadline before its stage began,
// and is deterministic.
#include <gtest/gtest.h>

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
  const std::vector<std::string> stages{"informal", "dissent", "level1", "level2",
                                        "stage1",   "stage2",  "stage3", "stage4",
                                        "stage5",   "final",   "bogus"};
  const std::vector<std::string> duties{"stage1_form", "stage2_form", "stage3_form",
                                        "director_notified", "nope"};
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
    g.events.push_back(e);
  }
  return g;
}

std::string run(const Generated& g, int& closed_speech, int& early_deadlines) {
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
  for (const auto& eff : tail) transcript += eff.id() + " " + format_iso8601(eff.at) + "\n";
  engine.for_each([&](const Challenge& c) {
    transcript += encode_challenge(c) + "\n";
    for (const auto& d : c.duties) {
      if (d.due < c.opened_at) ++early_deadlines;
    }
  });
  return transcript;
}

TEST(EngineProperties, RandomSequencesAreSafeAndDeterministic) {
  int total_effects = 0;
  for (std::uint32_t seed = 1; seed <= 200; ++seed) {
    Generated g = generate(seed, 300);
    int closed_a = 0, early_a = 0, closed_b = 0, early_b = 0;
    std::string a = run(g, closed_a, early_a);
    std::string b = run(g, closed_b, early_b);
    ASSERT_EQ(a, b) << "seed " << seed << " is not deterministic";
    ASSERT_EQ(closed_a, 0) << "seed " << seed << ": output for a closed challenge";
    ASSERT_EQ(early_a, 0) << "seed " << seed << ": deadline before its stage started";
    total_effects += static_cast<int>(std::count(a.begin(), a.end(), '\n'));
  }
  // The generator must actually exercise the engine, not only the DLQ.
  EXPECT_GT(total_effects, 20000);
}

}  // namespace
}  // namespace crp
