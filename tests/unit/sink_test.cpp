// The sink shape (connectors/sink.h): each sink writes only its kind of
// effect, keyed by what the effect is about; a watched plan's effects are
// addressed through a Subject without a challenge; escalation headers come
// from the shared CloudEvents writer.
#include <gtest/gtest.h>

#include "connectors/canonical/cloudevents.h"
#include "connectors/casenotes/case_note_sink.h"
#include "connectors/email/email_sink.h"
#include "connectors/escalations/escalation_sink.h"
#include "connectors/sink_registry.h"

namespace crp {
namespace {

Effect plan_effect() {
  Effect e;
  e.plan_id = "PLAN-4711";
  e.case_id = "P-1";
  e.protocol = "walsall";
  e.source_system = "mosaic";
  e.seq = 3;
  return e;
}

Protocol mosaic_protocol() {
  Protocol p;
  p.case_system = "mosaic";
  return p;
}

// The step Mosaic is told to take, read from the note's JSON.
std::string step_action(const std::string& value) {
  const std::string key = "\"action\":\"";
  const std::size_t at = value.find(key);
  if (at == std::string::npos) return "";
  const std::size_t from = at + key.size();
  return value.substr(from, value.find('"', from) - from);
}

CaseNoteDecision stage_note(bool opens) {
  CaseNoteDecision note;
  note.opens_stage = opens;
  note.stage = "stage1";
  note.stage_label = "Stage 1";
  return note;
}

TEST(CaseNoteSink, PlanSubjectOpensOrUpdatesAStepUnknownChallengeOnlyUpdates) {
  const connectors::casenotes::CaseNoteSink sink("crp.casenotes", connectors::case_note_formats());
  const Effect e = plan_effect();
  const Protocol p = mosaic_protocol();
  const connectors::Subject plan = connectors::subject_of(static_cast<const WatchedPlan*>(nullptr));
  EXPECT_EQ(step_action(sink.value(e, stage_note(true), p, plan)), "create");
  EXPECT_EQ(step_action(sink.value(e, stage_note(false), p, plan)), "update");
  // Nothing known of the challenge: never a new step.
  EXPECT_EQ(step_action(sink.value(e, stage_note(true), p, connectors::Subject{})), "update");
}

TEST(CaseNoteSink, ClosedChallengeCompletesItsStepWithTheOutcome) {
  const connectors::casenotes::CaseNoteSink sink("crp.casenotes", connectors::case_note_formats());
  Challenge c;
  c.stage = "stage1";
  c.phase = Phase::closed;
  c.outcome = "withdrawn";
  const std::string value =
      sink.value(plan_effect(), stage_note(false), mosaic_protocol(), connectors::subject_of(&c));
  EXPECT_EQ(step_action(value), "complete");
  EXPECT_NE(value.find("\"next_action\":\"Resolution withdrawn - close\""), std::string::npos)
      << value;
}

TEST(EmailSink, PlanEffectUsesGivenContactsAndFailsUnresolvedRoles) {
  connectors::email::EmailSettings settings;
  const connectors::email::EmailSink sink("crp.notifications.email", settings);
  Effect e = plan_effect();
  NotificationDecision n;
  n.template_key = "watch_suggestion";
  n.to = {"chair", "social_worker"};
  e.what = n;
  const std::map<std::string, std::string> contacts{{"chair", "chair@council.example"}};
  connectors::Subject subject;
  subject.contacts = &contacts;
  std::vector<Record> out;
  std::vector<connectors::SinkFailure> failures;
  sink.write({e, nullptr, subject, nullptr, nullptr}, out, failures);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, "PLAN-4711");  // the plan's records stay in order on one partition
  EXPECT_NE(out[0].value.find("chair@council.example"), std::string::npos);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].error_class, "crp.UnresolvedRecipient");
  EXPECT_EQ(failures[0].value, "{\"reference\":\"watch:PLAN-4711:3:social_worker\"}");
}

TEST(EscalationSink, HeadersAreTheSharedWritersAndOtherKindsWriteNothing) {
  const connectors::escalations::EscalationSink sink("crp.escalations", "urn:crp");
  Effect e = plan_effect();
  LifecycleEvent ev;
  ev.type = "watch.breach";
  e.what = ev;
  std::vector<Record> out;
  std::vector<connectors::SinkFailure> failures;
  sink.write({e, nullptr, {}, nullptr, nullptr}, out, failures);
  ASSERT_EQ(out.size(), 1u);
  connectors::canonical::CloudEvent ce;
  ce.id = "watch:PLAN-4711:3";
  ce.source = "urn:crp/walsall";
  ce.type = "uk.gov.crp.watch.breach";
  ce.subject = "PLAN-4711";
  ce.time = format_iso8601(Instant{});
  const std::vector<Header> expected = connectors::canonical::binary_headers(ce);
  ASSERT_EQ(out[0].headers.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(out[0].headers[i].key, expected[i].key);
    EXPECT_EQ(out[0].headers[i].value, expected[i].value);
  }
  e.what = PartnerDecision{};
  sink.write({e, nullptr, {}, nullptr, nullptr}, out, failures);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_TRUE(failures.empty());
}

}  // namespace
}  // namespace crp
