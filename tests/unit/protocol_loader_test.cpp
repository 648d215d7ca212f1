#include "adapter/engine/protocol_loader.h"

#include <gtest/gtest.h>
#include <rapidjson/pointer.h>

#include "adapter/json/json.h"

namespace crp {
namespace {

const std::string kDir = std::string(CRP_SOURCE_DIR) + "/config/protocols/";

TEST(ProtocolLoader, LoadsTheFiveReferenceProtocols) {
  for (const char* id : {"bradford", "rotherham", "walsall", "calderdale", "iro-cp-lac"}) {
    Protocol p = load_protocol_file(kDir + id + ".json");
    EXPECT_EQ(p.id, id);
    EXPECT_FALSE(p.stages.empty());
  }
}

TEST(ProtocolLoader, ReadsTheSeedsRules) {
  Protocol rotherham = load_protocol_file(kDir + "rotherham.json");
  const Stage* s3 = rotherham.stage("stage3");
  ASSERT_NE(s3, nullptr);
  EXPECT_EQ(s3->response_deadline->amount, 4);
  ASSERT_EQ(s3->duties.size(), 2u);
  EXPECT_EQ(s3->duties[0].id, "director_notified");
  EXPECT_EQ(s3->duties[0].deadline.amount, 1);
  EXPECT_FALSE(rotherham.stage("stage4")->reachable_by_skipping);
  EXPECT_FALSE(rotherham.may_start_at("stage4", true));

  Protocol walsall = load_protocol_file(kDir + "walsall.json");
  EXPECT_EQ(walsall.always_cc, (std::vector<std::string>{"group_manager_sr", "principal_iro"}));
  EXPECT_EQ(walsall.stage("stage1")->response_deadline->unit, DeadlineUnit::days);
  EXPECT_EQ(walsall.stage("stage1")->approval_by, "group_manager");

  Protocol calderdale = load_protocol_file(kDir + "calderdale.json");
  EXPECT_EQ(calderdale.process_limit->deadline.amount, 15);
  EXPECT_EQ(calderdale.stage("stage1")->on_overdue, OnOverdue::escalate);
  EXPECT_TRUE(calderdale.is_later_on_route("informal", "stage3"));
  EXPECT_FALSE(calderdale.is_later_on_route("stage3", "stage1"));

  Protocol iro = load_protocol_file(kDir + "iro-cp-lac.json");
  EXPECT_EQ(iro.tracks, (std::vector<std::string>{"cp", "lac"}));
  EXPECT_EQ(iro.stage("level1")->response_deadline->unit, DeadlineUnit::weeks);
  EXPECT_EQ(iro.stage("level1")->label_for("lac"), "IRO Level 1 Discussion (LAC)");

  Protocol bradford = load_protocol_file(kDir + "bradford.json");
  EXPECT_EQ(bradford.stage("stage2")->response_kind, ResponseKind::meeting_date_confirmed);
}

// Loads rotherham.json with one change applied at a JSON pointer and returns
// the ConfigError it raises.
json::ConfigError broken(const std::string& pointer, const std::string& json_value) {
  rapidjson::Document doc = json::parse_file(kDir + "rotherham.json");
  rapidjson::Document value;
  value.Parse(json_value.c_str());
  rapidjson::Pointer(pointer.c_str()).Set(doc, rapidjson::Value(value, doc.GetAllocator()));
  try {
    load_protocol(doc, "rotherham.json");
  } catch (const json::ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "loaded despite " << pointer << " = " << json_value;
  return json::ConfigError("", "", "");
}

TEST(ProtocolLoader, RefusesADanglingStageReference) {
  auto e = broken("/stages/0/next", "\"Stage 9\"");  // stage ids are lower_snake_case
  EXPECT_EQ(e.file(), "rotherham.json");
  EXPECT_EQ(e.pointer(), "/stages/0/next");
  EXPECT_NE(e.reason().find("does not match pattern"), std::string::npos) << e.what();
  auto f = broken("/stages/0/next", "\"stage5\"");  // well-formed id, but no such stage
  EXPECT_EQ(f.pointer(), "/stages/0/next");
  EXPECT_NE(f.reason().find("unknown stage 'stage5'"), std::string::npos) << f.what();
}

TEST(ProtocolLoader, RefusesNegativeAndUnitlessDeadlines) {
  auto e = broken("/stages/0/response/deadline/amount", "-3");
  EXPECT_EQ(e.pointer(), "/stages/0/response/deadline/amount");
  EXPECT_NE(e.reason().find("minimum"), std::string::npos) << e.what();
  auto f = broken("/stages/0/response/deadline", "{\"amount\": 10}");
  EXPECT_EQ(f.pointer(), "/stages/0/response/deadline");
  EXPECT_NE(f.reason().find("missing required property unit"), std::string::npos) << f.what();
}

TEST(ProtocolLoader, RefusesACycle) {
  auto e = broken("/stages/3/next", "\"stage1\"");
  EXPECT_NE(e.reason().find("cycle"), std::string::npos) << e.what();
  EXPECT_NE(e.pointer().find("/stages/"), std::string::npos);
}

TEST(ProtocolLoader, RefusesAnUnknownRole) {
  auto e = broken("/stages/1/to/0", "\"chief_executive\"");
  EXPECT_EQ(e.pointer(), "/stages/1/to/0");
  EXPECT_NE(e.reason().find("unknown role 'chief_executive'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("rotherham.json: /stages/1/to/0: unknown role"),
            std::string::npos);
}

TEST(ProtocolLoader, RefusesEscalateWithoutANextStage) {
  auto e = broken("/stages/3/on_overdue", "\"escalate\"");
  EXPECT_EQ(e.pointer(), "/stages/3/on_overdue");
}

TEST(ProtocolLoader, RefusesUnknownProperties) {
  auto e = broken("/stages/0/deadline_in_days", "5");
  EXPECT_EQ(e.pointer(), "/stages/0/deadline_in_days");
  EXPECT_NE(e.reason().find("property not allowed here: deadline_in_days"), std::string::npos)
      << e.what();
}

TEST(ProtocolLoader, ReportsInvalidJsonWithLineAndColumn) {
  try {
    load_protocol_file(std::string(CRP_SOURCE_DIR) + "/tests/unit/data/not-json.json");
    FAIL() << "loaded invalid JSON";
  } catch (const json::ConfigError& e) {
    EXPECT_NE(e.reason().find("line 3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace crp
