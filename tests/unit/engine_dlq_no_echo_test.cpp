// A dead letter's message names the field and the rule, never personal data:
// text put in an identifier field (a mapping gone wrong upstream) is not
// echoed, while an identifier-shaped value still is (docs/decisions/0025).
#include <gtest/gtest.h>

#include "adapter/engine/engine.h"
#include "adapter/engine/quoted_identifier.h"
#include "tests/unit/engine_fixture.h"

namespace crp {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the engine fixture

constexpr const char* kName = "Amelia Quxworth";
constexpr const char* kConcern = "Plan not progressing; seen at 4 Example Street";

std::string dead_letter(Engine& engine, const InboundEvent& e) {
  Effects out;
  engine.apply(e, at("2026-12-18T10:00:00Z"), out);
  auto dlq = only<DlqDecision>(out);
  if (dlq.size() != 1) return "(not dead-lettered)";
  return dlq[0].error_class + ": " + dlq[0].message;
}

TEST(QuotedIdentifier, ShowsIdentifiersAndWithholdsEverythingElse) {
  EXPECT_EQ(quoted_identifier("stage4"), "'stage4'");
  EXPECT_EQ(quoted_identifier("iro-cp-lac"), "'iro-cp-lac'");
  EXPECT_EQ(quoted_identifier("stage1_form"), "'stage1_form'");
  for (const std::string& v : {std::string(kName), std::string(kConcern), std::string("Stage4"),
                               std::string("4stage"), std::string(""), std::string(65, 'a'),
                               std::string("stage\n4"), std::string("st\xc3\xa4ge")}) {
    EXPECT_EQ(quoted_identifier(v), "<withheld: not an identifier>") << v;
  }
  EXPECT_EQ(quoted_identifier(std::string(64, 'a')), "'" + std::string(64, 'a') + "'");
}

TEST(EngineDeadLetters, DoNotEchoTextPutInIdentifierFields) {
  Engine engine(example_config().protocols);
  Effects out;
  raise_c1(engine, out);

  auto protocol = event(EventType::raised, "p1", "2026-12-18T09:00:00Z", "C2", kName);
  auto stage = event(EventType::raised, "s1", "2026-12-18T09:00:00Z", "C3");
  stage.stage = kConcern;
  auto track = event(EventType::raised, "t1", "2026-12-18T09:00:00Z", "C4");
  track.track = kName;
  auto to_stage = event(EventType::escalated, "x1", "2026-12-18T09:00:00Z");
  to_stage.to_stage = kConcern;
  auto duty = event(EventType::duty_completed, "d1", "2026-12-18T09:01:00Z");
  duty.duty = kName;

  const std::pair<InboundEvent, std::string> cases[] = {
      {protocol, "crp.UnknownProtocol: unknown protocol <withheld: not an identifier>"},
      {stage, "crp.UnknownStage: protocol rotherham has no stage <withheld: not an identifier>"},
      {track, "crp.UnknownTrack: protocol rotherham has no track <withheld: not an identifier>"},
      {to_stage, "crp.UnknownStage: protocol rotherham has no stage <withheld: not an identifier>"},
      {duty, "crp.UnknownDuty: no open duty <withheld: not an identifier> on this challenge"},
  };
  for (const auto& [e, want] : cases) {
    const std::string got = dead_letter(engine, e);
    EXPECT_EQ(got, want);
    EXPECT_EQ(got.find("Quxworth"), std::string::npos) << got;
    EXPECT_EQ(got.find("Example Street"), std::string::npos) << got;
  }
}

TEST(EngineDeadLetters, StillNameAnUnknownIdentifier) {
  Engine engine(example_config().protocols);
  auto e = event(EventType::raised, "e1", "2026-12-17T10:00:00Z", "C1", "atlantis");
  EXPECT_EQ(dead_letter(engine, e), "crp.UnknownProtocol: unknown protocol 'atlantis'");
  auto s = event(EventType::raised, "e2", "2026-12-17T10:00:00Z", "C2");
  s.stage = "stage9";
  EXPECT_EQ(dead_letter(engine, s), "crp.UnknownStage: protocol rotherham has no stage 'stage9'");
}

}  // namespace
}  // namespace crp
