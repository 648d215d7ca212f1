// Protocol versions (docs/decisions/0061): a challenge keeps the version it
// started under; new challenges take the newest; a newer version's migration
// moves open challenges stage by stage; a restored challenge with no place
// (protocol, version, stage or route gone) is quarantined: kept, never run,
// its events dead-lettered, and announced on the operations topic.
#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include "adapter/engine/challenge_codec.h"
#include "adapter/engine/protocol_digests.h"
#include "adapter/engine/protocol_loader.h"
#include "adapter/engine/protocol_placement.h"
#include "adapter/json/json.h"
#include "tests/unit/engine_fixture.h"

namespace crp {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the engine fixture

const std::string kRotherham = std::string(CRP_SOURCE_DIR) + "/config/protocols/rotherham.json";

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
    text.replace(at, from.size(), to);
}

// Rotherham revised: Stage 2 and Stage 3 renamed; the revision maps Stage 2
// (only) from version 1 when `migrate`, so a version 1 challenge at Stage 3 has
// no place in it.
Protocol rotherham_v2(bool migrate, int version = 2, int from = 1) {
  std::string text = json::read_file(kRotherham);
  replace_all(text, "\"stage2\"", "\"stage2_hos\"");
  replace_all(text, "\"stage3\"", "\"stage3_panel\"");
  replace_all(text, "\"version\": 1,", "\"version\": " + std::to_string(version) + ",");
  if (migrate) {
    replace_all(text, "\"title\":",
                "\"migrations\": [{\"from_version\": " + std::to_string(from) +
                    ", \"stages\": {\"stage2\": \"stage2_hos\"}}], \"title\":");
  }
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  return load_protocol(doc, "rotherham-v2.json");
}

std::shared_ptr<ProtocolSet> set_of(std::vector<Protocol> protocols) {
  auto set = std::make_shared<ProtocolSet>();
  const auto calendar = example_config().protocols->find("rotherham")->calendar;
  for (Protocol& p : protocols) set->add(std::move(p), calendar);
  return set;
}

Protocol rotherham_v1() {
  return example_config().protocols->find("rotherham")->protocol;
}

// A version 1 Rotherham challenge raised at `stage` on Thu 17 Dec 2026.
Challenge raised_under_v1(const std::string& id, const std::string& stage) {
  Engine engine(set_of({rotherham_v1()}));
  Effects out;
  InboundEvent e = event(EventType::raised, "raise-" + id, "2026-12-17T10:00:00Z", id);
  e.stage = stage;
  engine.apply(e, at("2026-12-17T10:00:00Z"), out);
  EXPECT_NE(engine.find(id), nullptr) << id;
  return *engine.find(id);
}

template <typename T>
std::vector<std::pair<std::string, T>> with_ids(const Effects& out) {
  std::vector<std::pair<std::string, T>> found;
  for (const Effect& e : out) {
    if (const auto* x = std::get_if<T>(&e.what)) found.emplace_back(e.challenge_id, *x);
  }
  return found;
}

TEST(ProtocolVersions, NewChallengesTakeTheNewestLoadedVersion) {
  Engine engine(set_of({rotherham_v2(false), rotherham_v1()}));
  Effects out;
  raise_c1(engine, out);
  ASSERT_NE(engine.find("C1"), nullptr);
  EXPECT_EQ(engine.find("C1")->protocol_version, 2);
  EXPECT_EQ(engine.find("C1")->stage, "stage1");
}

TEST(ProtocolVersions, PlacementFollowsTheMigrationOrKeepsItsOwnVersionOrQuarantines) {
  const Challenge at1 = raised_under_v1("A", "stage1");
  const Challenge at2 = raised_under_v1("B", "stage2");
  const Challenge at3 = raised_under_v1("C", "stage3");

  // Version 2 declares how version 1 moves: Stage 1 keeps its id, Stage 2 is mapped,
  // Stage 3 is neither mapped nor kept: quarantined, even with version 1 still loaded.
  const auto migrating = set_of({rotherham_v1(), rotherham_v2(true)});
  Placement p = place(*migrating, at1);
  EXPECT_EQ(p.kind, Placement::Kind::migrated);
  EXPECT_EQ(p.version, 2);
  EXPECT_EQ(p.stage, "stage1");
  p = place(*migrating, at2);
  EXPECT_EQ(p.kind, Placement::Kind::migrated);
  EXPECT_EQ(p.stage, "stage2_hos");
  p = place(*migrating, at3);
  EXPECT_EQ(p.kind, Placement::Kind::quarantined);
  EXPECT_EQ(p.reason,
            "stage stage3 of protocol rotherham version 1 has no place in version 2 (its "
            "migration neither maps it nor keeps a stage of that id)");

  // No migration: each finishes under its own version, which is still loaded.
  const auto both = set_of({rotherham_v1(), rotherham_v2(false)});
  for (const Challenge* c : {&at1, &at2, &at3}) {
    p = place(*both, *c);
    EXPECT_EQ(p.kind, Placement::Kind::runs) << c->id;
    EXPECT_EQ(p.version, 1) << c->id;
  }

  // Its version gone and no migration from it; its protocol gone.
  p = place(*set_of({rotherham_v2(false)}), at1);
  EXPECT_EQ(p.kind, Placement::Kind::quarantined);
  EXPECT_EQ(p.reason,
            "protocol rotherham version 1 is not loaded, and no loaded version declares a "
            "migration from it");
  p = place(*set_of({}), at1);
  EXPECT_EQ(p.kind, Placement::Kind::quarantined);
  EXPECT_EQ(p.reason, "protocol rotherham is not loaded");

  // Migrations chain: 1 -> 2 -> 3, with only version 3 loaded besides 2.
  Protocol v3 = rotherham_v2(true, 3, 2);
  v3.migrations.front().stages = {{"stage2_hos", "stage3_panel"}};
  p = place(*set_of({rotherham_v2(true), v3}), at2);
  EXPECT_EQ(p.kind, Placement::Kind::migrated);
  EXPECT_EQ(p.version, 3);
  EXPECT_EQ(p.stage, "stage3_panel");
}

TEST(ProtocolVersions, AClosedChallengeStaysAsItWasWhateverIsLoaded) {
  Challenge closed = raised_under_v1("D", "stage3");
  closed.phase = Phase::closed;
  const Placement p = place(*set_of({rotherham_v2(false)}), closed);
  EXPECT_EQ(p.kind, Placement::Kind::runs);
  EXPECT_EQ(p.version, 1);
}

TEST(ProtocolVersions, AMigratedChallengeIsAnnouncedWrittenOnceAndRunsUnderItsNewVersion) {
  const Challenge before = raised_under_v1("B", "stage2");
  ASSERT_TRUE(before.due_at.has_value());
  Engine engine(set_of({rotherham_v1(), rotherham_v2(true)}));
  engine.restore(before);
  // Moved at once, but written only once its notice is out.
  ASSERT_NE(engine.find("B"), nullptr);
  EXPECT_EQ(engine.find("B")->protocol_version, 2);
  EXPECT_EQ(engine.find("B")->stage, "stage2_hos");
  EXPECT_TRUE(engine.take_dirty().empty());

  Effects out;
  engine.advance_to(at("2026-12-18T09:00:00Z"), out);
  const auto moved = with_ids<LifecycleEvent>(out);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].first, "B");
  EXPECT_EQ(moved[0].second.type, "challenge.protocol_migrated");
  EXPECT_EQ(moved[0].second.from_stage, "stage2");
  EXPECT_EQ(moved[0].second.stage, "stage2_hos");
  EXPECT_EQ(moved[0].second.previous_protocol_version, 1);
  EXPECT_EQ(moved[0].second.protocol_version, 2);
  // The deadline people were told stays.
  EXPECT_EQ(moved[0].second.due_at, before.due_at);
  EXPECT_EQ(engine.find("B")->due_at, before.due_at);
  EXPECT_EQ(engine.take_dirty(), std::vector<std::string>{"B"});

  // Announced once; the state written carries version 2 and restores as it is.
  out.clear();
  engine.advance_to(at("2026-12-18T10:00:00Z"), out);
  EXPECT_TRUE(out.empty());
  std::string error;
  auto decoded = decode_challenge(encode_challenge(*engine.find("B")), error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(decoded->protocol_version, 2);
  EXPECT_EQ(place(*set_of({rotherham_v1(), rotherham_v2(true)}), *decoded).kind,
            Placement::Kind::runs);

  // Its response deadline passes (Rotherham tells the chair); the chair escalates:
  // along version 2's route.
  out.clear();
  engine.advance_to(*before.due_at + std::chrono::minutes(1), out);
  int response_overdue = 0;
  for (const auto& [id, ev] : with_ids<LifecycleEvent>(out)) {
    if (ev.type != "challenge.response_overdue") continue;
    EXPECT_EQ(ev.stage, "stage2_hos");
    ++response_overdue;
  }
  EXPECT_EQ(response_overdue, 1);
  out.clear();
  engine.apply(event(EventType::escalated, "esc-B", "2027-01-20T10:00:00Z", "B"),
               at("2027-01-20T10:00:00Z"), out);
  bool escalated = false;
  for (const auto& [id, ev] : with_ids<LifecycleEvent>(out)) {
    if (ev.type == "challenge.stage_started") {
      EXPECT_EQ(ev.stage, "stage3_panel");
      escalated = true;
    }
  }
  EXPECT_TRUE(escalated);
  EXPECT_EQ(engine.find("B")->stage, "stage3_panel");
}

TEST(ProtocolVersions, AQuarantinedChallengeIsKeptAnnouncedNeverRunAndItsEventsDeadLettered) {
  const Challenge stuck = raised_under_v1("C", "stage3");
  Engine engine(set_of({rotherham_v1(), rotherham_v2(true)}));
  engine.restore(stuck);
  EXPECT_EQ(engine.find("C"), nullptr);
  ASSERT_EQ(engine.quarantined().count("C"), 1u);
  EXPECT_EQ(engine.quarantined().at("C").challenge.stage, "stage3");
  EXPECT_EQ(engine.pending_timers(), 0u);

  Effects out;
  engine.advance_to(*stuck.due_at + std::chrono::hours(24), out);  // past its deadline
  const auto notices = with_ids<OperationsNotice>(out);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(out.size(), 1u);  // and nothing else: no deadline of it fired
  EXPECT_EQ(notices[0].first, "C");
  EXPECT_EQ(notices[0].second.type, "challenge.quarantined");
  EXPECT_EQ(notices[0].second.stage, "stage3");
  EXPECT_EQ(notices[0].second.protocol_version, 1);
  EXPECT_NE(notices[0].second.reason.find("stage stage3"), std::string::npos);

  out.clear();
  engine.apply(event(EventType::response_received, "resp-C", "2026-12-21T10:00:00Z", "C"),
               at("2026-12-21T10:00:00Z"), out);
  const auto dlq = only<DlqDecision>(out);
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0].error_class, "crp.ChallengeQuarantined");
  EXPECT_EQ(dlq[0].message, "challenge is quarantined: " + engine.quarantined().at("C").reason);
  EXPECT_TRUE(engine.take_dirty().empty());  // its changelog record is never rewritten

  // A configuration with a place for it restores it as it was.
  Engine fixed(set_of({rotherham_v1(), rotherham_v2(false)}));
  fixed.restore(engine.quarantined().at("C").challenge);
  ASSERT_NE(fixed.find("C"), nullptr);
  EXPECT_EQ(fixed.find("C")->protocol_version, 1);
  EXPECT_TRUE(fixed.quarantined().empty());
}

TEST(ProtocolVersions, StateRecordsCarryTheVersionAndVersionOneRecordsAreUnchanged) {
  Challenge c = raised_under_v1("E", "stage1");
  const std::string v1 = encode_challenge(c);
  EXPECT_TRUE(v1.front() == '\x03' || v1.front() == '\x04');  // as before versions existed
  c.protocol_version = 7;
  const std::string v7 = encode_challenge(c);
  EXPECT_EQ(v7.front(), '\x05');
  std::string error;
  auto back = decode_challenge(v7, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->protocol_version, 7);
  EXPECT_EQ(encode_challenge(*back), v7);
  auto old = decode_challenge(v1, error);
  ASSERT_TRUE(old) << error;
  EXPECT_EQ(old->protocol_version, 1);
}

TEST(ProtocolVersions, TheLoaderRefusesAMigrationThatGoesNowhereOrBackwards) {
  std::string text = json::read_file(kRotherham);
  auto refused = [&](const std::string& migrations, const std::string& pointer) {
    std::string t = text;
    replace_all(t, "\"version\": 1,", "\"version\": 2, \"migrations\": " + migrations + ",");
    rapidjson::Document doc;
    doc.Parse(t.c_str(), t.size());
    try {
      load_protocol(doc, "r.json");
      ADD_FAILURE() << migrations << " was accepted";
    } catch (const json::ConfigError& e) {
      EXPECT_EQ(e.pointer(), pointer) << e.what();
    }
  };
  refused(R"([{"from_version": 2}])", "/migrations/0/from_version");
  refused(R"([{"from_version": 1}, {"from_version": 1}])", "/migrations/1/from_version");
  refused(R"([{"from_version": 1, "stages": {"stage2": "nowhere"}}])",
          "/migrations/0/stages/stage2");
}

TEST(ProtocolVersions, AVersionEditedInPlaceIsToldApartFromANewVersion) {
  const auto before = set_of({rotherham_v1()});
  const std::string recorded = protocol_digests(*before);
  EXPECT_TRUE(changed_in_place(recorded, *before).empty());
  // The same file re-indented: the same definition.
  {
    rapidjson::Document doc;
    const std::string text = json::read_file(kRotherham);
    doc.Parse(text.c_str(), text.size());
    EXPECT_EQ(load_protocol(doc, "r.json").definition_digest, rotherham_v1().definition_digest);
  }
  // Version 1 edited in place; a version 2 beside it is new, not changed.
  std::string text = json::read_file(kRotherham);
  replace_all(text, "\"title\": \"", "\"title\": \"Edited: ");
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  const auto after = set_of({load_protocol(doc, "r.json"), rotherham_v2(false)});
  EXPECT_EQ(changed_in_place(recorded, *after), std::set<std::string>{"rotherham@1"});
  EXPECT_TRUE(changed_in_place(protocol_digests(*after), *after).empty());
  EXPECT_TRUE(changed_in_place("not json", *after).empty());
}

}  // namespace
}  // namespace crp
