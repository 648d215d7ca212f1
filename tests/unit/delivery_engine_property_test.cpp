// Random interleavings of jobs, outcomes and ticks over three partners: the
// delivery engine never loses or duplicates a job (each ends delivered or
// dead-lettered exactly once), settles every input record exactly once, keeps
// one attempt per lane and each challenge's order, never calls a disabled
// partner or spends more attempts than the schedule allows, and gives the
// same commands for the same seed.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "tests/unit/delivery_fixture.h"

namespace crp::delivery {
namespace {

using namespace testing;
using OK = Outcome::Kind;

struct Trace {
  std::vector<std::string> lines;       // every command, for determinism
  std::map<std::string, int> terminal;  // job id -> delivered + dead-lettered
  std::map<std::int64_t, int> settled;  // offset -> times settled (settle, persist or DLQ)
  std::vector<std::string> problems;
};

Trace run(std::uint64_t seed, int steps) {
  std::mt19937_64 rng(seed);
  std::map<std::string, PartnerPolicy> policies{
      {"p0", fast_policy(2)}, {"p1", fast_policy(3)}, {"p2", fast_policy(5)}};
  DeliveryEngine e(policies, seed);
  Trace t;
  Instant now = t0();
  std::int64_t offset = 0;
  std::map<std::string, std::uint64_t> next_seq;        // lane -> next seq admitted
  std::map<std::string, std::uint64_t> last_attempted;  // lane -> highest seq attempted
  std::map<std::string, Command> in_flight;             // lane -> attempt
  std::set<std::string> disabled;
  auto apply = [&](const Commands& cs) {
    for (const Command& c : cs) {
      t.lines.push_back(std::to_string(static_cast<int>(c.kind)) + " " + c.job.webhook_id + " " +
                        std::to_string(c.job.attempt) + " " + c.reason + " " +
                        format_iso8601(c.job.next_attempt_at));
      const std::string lane = c.job.partner_id + "/" + c.job.challenge_id;
      if (c.origin &&
          (c.kind == Kind::settle || c.kind == Kind::persist || c.kind == Kind::dead_letter))
        ++t.settled[c.origin->offset];
      if (c.kind == Kind::dead_letter) ++t.terminal[c.job.webhook_id];
      if (c.kind == Kind::disable_partner) disabled.insert(c.partner_id);
      if (c.kind == Kind::enable_partner) disabled.erase(c.partner_id);
      if (c.kind == Kind::attempt) {
        if (in_flight.count(lane)) t.problems.push_back("two attempts in lane " + lane);
        if (disabled.count(c.partner_id)) t.problems.push_back("called disabled " + c.partner_id);
        if (c.job.seq < last_attempted[lane])
          t.problems.push_back("out of order in " + lane + ": " + c.job.webhook_id);
        if (c.job.attempt > 4) t.problems.push_back("too many attempts: " + c.job.webhook_id);
        last_attempted[lane] = c.job.seq;
        in_flight[lane] = c;
      }
    }
  };
  auto resolve = [&](const std::string& lane, const Outcome& o) {
    Command a = in_flight.at(lane);
    in_flight.erase(lane);
    if (o.kind == OK::delivered) ++t.terminal[a.job.webhook_id];
    apply(e.on_outcome(a.ticket, o, now));
  };
  auto random_outcome = [&]() {
    const auto r = rng() % 100;
    Outcome o = outcome(OK::retry, 503);
    if (r < 50)
      o = Outcome::delivered();
    else if (r < 58)
      o = outcome(OK::rejected, 400, "no");
    else if (r < 60)
      o = outcome(OK::gone, 410);
    else if (r < 63)
      o.hold_channel = true, o.after = std::chrono::milliseconds(rng() % 3000);
    else if (r < 70)
      o.after = std::chrono::milliseconds(rng() % 2000);
    return o;
  };
  for (int i = 0; i < steps; ++i) {
    const auto what = rng() % 10;
    if (what < 4) {
      const std::string p = "p" + std::to_string(rng() % 3), c = "C" + std::to_string(rng() % 6);
      const std::uint64_t seq = ++next_seq[p + "/" + c];
      apply(e.admit(job(p, c, seq), origin(offset++), now));
    } else if (what < 8 && !in_flight.empty()) {
      auto it = in_flight.begin();
      std::advance(it, rng() % in_flight.size());
      resolve(it->first, random_outcome());
    } else if (what == 8) {
      for (const auto& [p, _] : policies)
        if (disabled.count(p) && rng() % 4 == 0) apply(e.enable(p));
    } else {
      now += std::chrono::milliseconds(rng() % 1500);
      apply(e.tick(now));
    }
  }
  // Drain: every partner answers 200 from now on.
  for (const auto& [p, _] : policies)
    if (disabled.count(p)) apply(e.enable(p));
  for (int round = 0; round < 10'000 && (e.held() > 0 || !in_flight.empty()); ++round) {
    while (!in_flight.empty()) resolve(in_flight.begin()->first, Outcome::delivered());
    now += std::chrono::seconds(5);
    apply(e.tick(now));
  }
  if (e.held() != 0) t.problems.push_back("jobs still held after the drain");
  for (std::int64_t o = 0; o < offset; ++o)
    if (t.settled[o] != 1)
      t.problems.push_back("offset " + std::to_string(o) + " settled " +
                           std::to_string(t.settled[o]) + " times");
  std::size_t jobs = 0;
  for (const auto& [lane, n] : next_seq) jobs += n;
  if (t.terminal.size() != jobs)
    t.problems.push_back(std::to_string(jobs) + " jobs, " + std::to_string(t.terminal.size()) +
                         " ended");
  for (const auto& [id, n] : t.terminal)
    if (n != 1) t.problems.push_back(id + " ended " + std::to_string(n) + " times");
  return t;
}

TEST(DeliveryEngineProperty, NoJobLostOrDuplicatedOrderKeptOffsetsSettledOnce) {
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const Trace t = run(seed, 400);
    ASSERT_TRUE(t.problems.empty()) << "seed " << seed << ": " << t.problems.front() << " (and "
                                    << t.problems.size() - 1 << " more)";
  }
}

TEST(DeliveryEngineProperty, SameSeedSameCommands) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed)
    EXPECT_EQ(run(seed, 300).lines, run(seed, 300).lines);
}

}  // namespace
}  // namespace crp::delivery
