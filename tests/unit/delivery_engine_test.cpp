// The delivery engine, outcome by outcome, without a broker or a network:
// what today only the webhook e2e suites reached (order per challenge,
// retries with jitter and Retry-After, the breaker's open and probe, 4xx and
// 410, restore, revoke, stop, quota hold).
#include <gtest/gtest.h>

#include "tests/unit/delivery_fixture.h"

namespace crp::delivery {
namespace {

using namespace testing;
using OK = Outcome::Kind;

DeliveryEngine engine(int failures_to_open = 3) {
  return DeliveryEngine(
      {{"a", fast_policy(failures_to_open)}, {"b", fast_policy(failures_to_open)}}, 42);
}

TEST(DeliveryEngine, DeliveredAtOnceSettlesWithoutAPendingRecord) {
  auto e = engine();
  Commands c = e.admit(job("a", "C1", 1), origin(7), t0());
  ASSERT_EQ(of(c, Kind::attempt).size(), 1u);
  EXPECT_TRUE(of(c, Kind::persist).empty());
  const Command a = of(c, Kind::attempt)[0];
  EXPECT_EQ(a.job.attempt, 1);
  c = e.on_outcome(a.ticket, Outcome::delivered(), t0());
  ASSERT_EQ(of(c, Kind::settle).size(), 1u);
  EXPECT_EQ(of(c, Kind::settle)[0].origin->offset, 7);
  EXPECT_TRUE(of(c, Kind::tombstone).empty());
  EXPECT_EQ(e.held(), 0u);
}

TEST(DeliveryEngine, OneChallengeInOrderOthersInParallel) {
  auto e = engine();
  Commands c1 = e.admit(job("a", "C1", 1), origin(1), t0());
  Commands c2 = e.admit(job("a", "C1", 2), origin(2), t0());
  Commands c3 = e.admit(job("a", "C2", 1), origin(3), t0());
  EXPECT_EQ(of(c1, Kind::attempt).size(), 1u);
  // Behind C1/1: durable at once so the offset can move on, not attempted.
  EXPECT_TRUE(of(c2, Kind::attempt).empty());
  ASSERT_EQ(of(c2, Kind::persist).size(), 1u);
  EXPECT_EQ(of(c2, Kind::persist)[0].origin->offset, 2);
  EXPECT_EQ(of(c3, Kind::attempt).size(), 1u);  // another challenge does not wait
  Commands d = e.on_outcome(of(c1, Kind::attempt)[0].ticket, Outcome::delivered(), t0());
  ASSERT_EQ(of(d, Kind::attempt).size(), 1u);
  EXPECT_EQ(of(d, Kind::attempt)[0].job.seq, 2u);
  Commands f = e.on_outcome(of(d, Kind::attempt)[0].ticket, Outcome::delivered(), t0());
  EXPECT_EQ(of(f, Kind::tombstone).size(), 1u);  // its pending record goes
  EXPECT_TRUE(of(f, Kind::settle).empty());      // settled when it was persisted
}

TEST(DeliveryEngine, RetryPersistsAndWaitsForItsJitteredDelay) {
  auto e = engine();
  const Command a = of(e.admit(job("a", "C1", 1), origin(1), t0()), Kind::attempt)[0];
  Commands c = e.on_outcome(a.ticket, outcome(OK::retry, 503), t0());
  ASSERT_EQ(of(c, Kind::persist).size(), 1u);
  const Job pending = of(c, Kind::persist)[0].job;
  EXPECT_EQ(pending.last_error, "HTTP 503");
  EXPECT_GE(pending.next_attempt_at, t0() + 80ms);  // 100 ms +/- 20 %
  EXPECT_LE(pending.next_attempt_at, t0() + 120ms);
  EXPECT_EQ(of(c, Kind::note).at(0).note, Command::Note::retry_scheduled);
  EXPECT_TRUE(of(e.tick(t0() + 79ms), Kind::attempt).empty());
  Commands again = e.tick(pending.next_attempt_at);
  ASSERT_EQ(of(again, Kind::attempt).size(), 1u);
  EXPECT_EQ(of(again, Kind::attempt)[0].job.attempt, 2);
}

TEST(DeliveryEngine, RetryAfterIsAFloorOverTheSchedule) {
  auto e = engine();
  const Command a = of(e.admit(job("a", "C1", 1), origin(1), t0()), Kind::attempt)[0];
  Outcome busy = outcome(OK::retry, 429);
  busy.after = 60s;
  Commands c = e.on_outcome(a.ticket, busy, t0());
  EXPECT_EQ(of(c, Kind::persist).at(0).job.next_attempt_at, t0() + 60s);
  EXPECT_TRUE(of(e.tick(t0() + 59s), Kind::attempt).empty());
  EXPECT_EQ(of(e.tick(t0() + 60s), Kind::attempt).size(), 1u);
}

TEST(DeliveryEngine, ExhaustedScheduleDeadLettersAndRemovesThePendingRecord) {
  auto e = engine(100);
  Command a = of(e.admit(job("a", "C1", 1), origin(1), t0()), Kind::attempt)[0];
  Instant now = t0();
  for (int i = 0; i < 3; ++i) {
    Commands c = e.on_outcome(a.ticket, outcome(OK::retry, 500), now);
    now = of(c, Kind::persist).at(0).job.next_attempt_at;
    a = of(e.tick(now), Kind::attempt).at(0);
  }
  EXPECT_EQ(a.job.attempt, 4);
  Commands c = e.on_outcome(a.ticket, outcome(OK::retry, 500), now);
  ASSERT_EQ(of(c, Kind::dead_letter).size(), 1u);
  const Command dl = of(c, Kind::dead_letter)[0];
  EXPECT_EQ(dl.reason, "retry schedule exhausted after 4 attempts: HTTP 500");
  EXPECT_TRUE(dl.tombstone_after);
  EXPECT_EQ(dl.status, 500);
  EXPECT_EQ(e.held(), 0u);
}

TEST(DeliveryEngine, RejectionDeadLettersAtOnceWithThePartnersReasonAndLeavesTheBreaker) {
  auto e = engine(2);
  for (int i = 0; i < 3; ++i) {
    const std::string c = "C" + std::to_string(i);
    const Command a = of(e.admit(job("a", c, 1), origin(i), t0()), Kind::attempt).at(0);
    Commands out =
        e.on_outcome(a.ticket, outcome(OK::rejected, 400, "missing field: stage\n"), t0());
    ASSERT_EQ(of(out, Kind::dead_letter).size(), 1u);
    const Command dl = of(out, Kind::dead_letter)[0];
    EXPECT_EQ(dl.reason, "rejected by the partner: HTTP 400; response body: missing field: stage ");
    EXPECT_EQ(dl.origin->offset, i);  // settled once the DLQ has it
    EXPECT_FALSE(dl.tombstone_after);
  }
  EXPECT_FALSE(e.breaker_open("a", t0()));
}

TEST(DeliveryEngine, BreakerOpensThenLetsOneProbeThroughAndClosesOnSuccess) {
  auto e = engine(2);
  for (int i = 0; i < 2; ++i) {
    const Command a =
        of(e.admit(job("a", "C" + std::to_string(i), 1), origin(i), t0()), Kind::attempt).at(0);
    Commands c = e.on_outcome(a.ticket, outcome(OK::retry), t0());
    EXPECT_EQ(of(c, Kind::note).size(), i == 1 ? 2u : 1u);  // circuit opened on the second
  }
  EXPECT_TRUE(e.breaker_open("a", t0()));
  // While open, a new job of another challenge waits (durably) instead of calling.
  Commands c = e.admit(job("a", "C9", 1), origin(9), t0());
  EXPECT_TRUE(of(c, Kind::attempt).empty());
  EXPECT_EQ(of(c, Kind::persist).size(), 1u);
  // Partner b is not affected.
  EXPECT_EQ(of(e.admit(job("b", "C1", 1), origin(10), t0()), Kind::attempt).size(), 1u);
  EXPECT_TRUE(of(e.tick(t0() + 999ms), Kind::attempt).empty());
  Commands probe = e.tick(t0() + 1100ms);
  ASSERT_EQ(of(probe, Kind::attempt).size(), 1u);  // three lanes due, one probe
  EXPECT_TRUE(of(e.tick(t0() + 1200ms), Kind::attempt).empty());
  Commands after =
      e.on_outcome(of(probe, Kind::attempt)[0].ticket, Outcome::delivered(), t0() + 1200ms);
  EXPECT_FALSE(e.breaker_open("a", t0() + 1200ms));
  EXPECT_EQ(of(e.tick(t0() + 2s), Kind::attempt).size(), 2u);  // the others go now
  (void)after;
}

TEST(DeliveryEngine, FailedProbeReopensTheCircuit) {
  auto e = engine(1);
  const Command a = of(e.admit(job("a", "C1", 1), origin(1), t0()), Kind::attempt).at(0);
  e.on_outcome(a.ticket, outcome(OK::retry), t0());
  const Command probe = of(e.tick(t0() + 1100ms), Kind::attempt).at(0);
  e.on_outcome(probe.ticket, outcome(OK::retry), t0() + 1100ms);
  EXPECT_TRUE(e.breaker_open("a", t0() + 1100ms));
  EXPECT_TRUE(of(e.tick(t0() + 2000ms), Kind::attempt).empty());  // open again for 1 s
  EXPECT_EQ(of(e.tick(t0() + 2200ms), Kind::attempt).size(), 1u);
}

TEST(DeliveryEngine, GoneDisablesThePartnerUntilEnabled) {
  auto e = engine(100);
  const Command a = of(e.admit(job("a", "C1", 1), origin(1), t0()), Kind::attempt).at(0);
  e.admit(job("a", "C1", 2), origin(2), t0());  // waits behind it
  const Command b = of(e.admit(job("b", "C1", 1), origin(3), t0()), Kind::attempt).at(0);
  Commands c = e.on_outcome(a.ticket, outcome(OK::gone, 410), t0());
  ASSERT_EQ(of(c, Kind::disable_partner).size(), 1u);
  EXPECT_EQ(of(c, Kind::disable_partner)[0].partner_id, "a");
  EXPECT_EQ(of(c, Kind::disable_partner)[0].status, 410);
  ASSERT_EQ(of(c, Kind::dead_letter).size(), 2u);  // the one answered and the one behind it
  EXPECT_TRUE(of(c, Kind::dead_letter)[1].tombstone_after);
  EXPECT_TRUE(e.disabled("a"));
  Commands later = e.admit(job("a", "C2", 1), origin(4), t0());
  ASSERT_EQ(of(later, Kind::dead_letter).size(), 1u);
  EXPECT_EQ(of(later, Kind::dead_letter)[0].reason, "partner disabled (HTTP 410 Gone)");
  EXPECT_TRUE(of(later, Kind::disable_partner).empty());  // announced once
  EXPECT_EQ(of(e.on_outcome(b.ticket, Outcome::delivered(), t0()), Kind::settle).size(), 1u);
  EXPECT_EQ(of(e.enable("a"), Kind::enable_partner).size(), 1u);
  EXPECT_EQ(of(e.admit(job("a", "C3", 1), origin(5), t0()), Kind::attempt).size(), 1u);
}

TEST(DeliveryEngine, DisabledStateRestoredDeadLettersRestoredAndNewJobs) {
  auto e = engine();
  e.restore_disabled("a");
  Job pending = job("a", "C1", 1);
  pending.attempt = 2;
  Commands c = e.restore(0, {pending, job("b", "C1", 1)}, t0());
  ASSERT_EQ(of(c, Kind::dead_letter).size(), 1u);
  EXPECT_TRUE(of(c, Kind::dead_letter)[0].tombstone_after);
  EXPECT_EQ(of(e.admit(job("a", "C2", 1), origin(1), t0()), Kind::dead_letter).size(), 1u);
  EXPECT_EQ(of(e.tick(t0()), Kind::attempt).size(), 1u);  // b's restored job
}

TEST(DeliveryEngine, RestoredJobsGoInCreationOrderAndReadAgainRecordsSettle) {
  auto e = engine();
  Job first = job("a", "C1", 1), second = job("a", "C1", 2);
  second.created_at = first.created_at + 1s;
  first.next_attempt_at = t0() + 5s;
  second.next_attempt_at = t0();
  e.restore(3, {second, first}, t0());
  EXPECT_EQ(e.held(), 2u);
  // The outbox record of `second` is read again: already pending, settled.
  Commands dup = e.admit(second, origin(11, 3), t0());
  EXPECT_EQ(of(dup, Kind::settle).size(), 1u);
  EXPECT_TRUE(of(e.tick(t0() + 4s), Kind::attempt).empty());  // the head is not due
  Commands go = e.tick(t0() + 5s);
  ASSERT_EQ(of(go, Kind::attempt).size(), 1u);
  EXPECT_EQ(of(go, Kind::attempt)[0].job.seq, 1u);
}

TEST(DeliveryEngine, RevokedLaneIgnoresALateOutcome) {
  auto e = engine();
  const Command a = of(e.admit(job("a", "C1", 1), origin(1, 2), t0()), Kind::attempt).at(0);
  e.revoke({2});
  EXPECT_EQ(e.held(), 0u);
  EXPECT_TRUE(e.on_outcome(a.ticket, Outcome::delivered(), t0()).empty());
}

TEST(DeliveryEngine, QuotaHoldsEveryLaneWithoutSpendingAttempts) {
  auto e = engine(1);
  const Command a = of(e.admit(job("a", "C1", 1), origin(1), t0()), Kind::attempt).at(0);
  Outcome daily = outcome(OK::retry, 429);
  daily.hold_channel = true;
  daily.after = 3600s;
  Commands c = e.on_outcome(a.ticket, daily, t0());
  EXPECT_EQ(of(c, Kind::note).at(0).note, Command::Note::quota_hold);
  EXPECT_EQ(of(c, Kind::persist).at(0).job.attempt, 0);  // not spent
  EXPECT_FALSE(e.breaker_open("a", t0()));               // not a failure
  EXPECT_EQ(of(e.admit(job("a", "C2", 1), origin(2), t0()), Kind::persist).size(), 1u);
  EXPECT_TRUE(of(e.tick(t0() + 3599s), Kind::attempt).empty());
  EXPECT_EQ(of(e.tick(t0() + 3600s), Kind::attempt).size(), 2u);
}

TEST(DeliveryEngine, StopPersistsWhatIsNotDurableAndStartsNothing) {
  auto e = engine();
  const Command a = of(e.admit(job("a", "C1", 1), origin(1), t0()), Kind::attempt).at(0);
  const Command r = of(e.admit(job("a", "C2", 1), origin(2), t0()), Kind::attempt).at(0);
  const Job retried = of(e.on_outcome(r.ticket, outcome(OK::retry), t0()), Kind::persist).at(0).job;
  e.begin_stop();
  EXPECT_TRUE(of(e.tick(retried.next_attempt_at), Kind::attempt).empty());
  Commands c = e.stop_persist();
  ASSERT_EQ(of(c, Kind::persist).size(), 1u);  // the one in flight; the retried one is durable
  EXPECT_EQ(of(c, Kind::persist)[0].origin->offset, 1);
  EXPECT_EQ(of(c, Kind::persist)[0].job.webhook_id, a.job.webhook_id);
}

TEST(DeliveryEngine, UnknownPartnerIsDroppedAndSettled) {
  auto e = engine();
  Commands c = e.admit(job("z", "C1", 1), origin(1), t0());
  EXPECT_EQ(of(c, Kind::settle).size(), 1u);
  EXPECT_EQ(of(c, Kind::note).at(0).note, Command::Note::unknown_partner);
}

TEST(DeliveryEngine, JitterIsDeterministicForASeed) {
  auto delays = [](std::uint64_t seed) {
    DeliveryEngine e({{"a", fast_policy(100)}}, seed);
    std::vector<Instant> at;
    for (int i = 0; i < 20; ++i) {
      const Command a =
          of(e.admit(job("a", "C" + std::to_string(i), 1), origin(i), t0()), Kind::attempt).at(0);
      at.push_back(of(e.on_outcome(a.ticket, outcome(OK::retry), t0()), Kind::persist)
                       .at(0)
                       .job.next_attempt_at);
    }
    return at;
  };
  EXPECT_EQ(delays(7), delays(7));
  EXPECT_NE(delays(7), delays(8));
}

}  // namespace
}  // namespace crp::delivery
