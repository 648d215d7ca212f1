// The role directory's resolution order and the configuration errors of the
// LCS and Mosaic connectors (their mappings are golden-tested under tests/connectors/).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "adapter/json/json.h"
#include "adapter/runtime/service_config.h"
#include "connectors/email/notify_email.h"
#include "connectors/email/role_directory.h"
#include "connectors/stage_mapping.h"

namespace crp {
namespace {

using connectors::email::RoleDirectory;

RoleDirectory directory(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  return RoleDirectory::from_json(d, "directory.json");
}

const char* kDirectory = R"({
  "default": {"team_manager": "tm@default.example", "group_manager": "gm@default.example", "director": "dcs@default.example"},
  "localities": {"North": {"group_manager": "gm@north.example", "team_manager": "tm@north.example"}, "South": {"group_manager": "gm@south.example"}},
  "teams": {"North Team 2": {"locality": "North", "roles": {"team_manager": "tm@north2.example"}}, "Floating Team": {"roles": {}}}
})";

TEST(RoleDirectory, TeamThenLocalityThenDefault) {
  RoleDirectory d = directory(kDirectory);
  EXPECT_EQ(d.resolve("team_manager", "North Team 2", ""), "tm@north2.example");
  EXPECT_EQ(d.resolve("group_manager", "North Team 2", ""),
            "gm@north.example");  // the team's locality
  EXPECT_EQ(d.resolve("director", "North Team 2", ""), "dcs@default.example");
  EXPECT_EQ(d.resolve("group_manager", "North Team 2", "South"),
            "gm@south.example");  // the event's locality wins
  EXPECT_EQ(d.resolve("team_manager", "Unknown Team", "North"), "tm@north.example");
  EXPECT_EQ(d.resolve("team_manager", "Floating Team", ""), "tm@default.example");
  EXPECT_EQ(d.resolve("team_manager", "", ""), "tm@default.example");
  EXPECT_FALSE(d.resolve("principal_iro", "North Team 2", "North").has_value());
}

TEST(RoleDirectory, InlineDefaultsOverrideTheFile) {
  RoleDirectory d = directory(kDirectory);
  d.add_defaults(
      {{"director", "director@inline.example"}, {"principal_iro", "piro@inline.example"}});
  EXPECT_EQ(d.resolve("director", "", ""), "director@inline.example");
  EXPECT_EQ(d.resolve("principal_iro", "", ""), "piro@inline.example");
  EXPECT_EQ(d.resolve("team_manager", "North Team 2", ""), "tm@north2.example");
}

TEST(RoleDirectory, RefusesBadRoleKeysAndUnknownLocalities) {
  try {
    directory(R"({"default": {"Team Manager": "tm@x.example"}})");
    FAIL() << "accepted a role title as a key";
  } catch (const json::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/default/Team Manager"), std::string::npos) << e.what();
  }
  try {
    directory(R"({"default": {}, "teams": {"T": {"locality": "Nowhere"}}})");
    FAIL() << "accepted a team in an unknown locality";
  } catch (const json::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/teams/T/locality"), std::string::npos) << e.what();
  }
}

TEST(RoleDirectory, ShippedExampleIsValidAndServesEveryProtocolRole) {
  ServiceConfig c = load_service_config(std::string(CRP_SOURCE_DIR) + "/config/crp-adapter.json");
  for (const auto& [id, rt] : c.protocols->all()) {
    for (const auto& [role, title] : rt.protocol.roles) {
      EXPECT_TRUE(c.email.directory.resolve(role, "", "").has_value())
          << id << " role " << role << " has no default mailbox";
    }
  }
}

// A service config with these inputs (and `extra` top-level members).
std::filesystem::path test_dir() {
  auto dir = std::filesystem::temp_directory_path() / "crp-connectors-test";
  std::filesystem::create_directories(dir);
  return dir;
}

// Walsall's protocol under another id: every stage label is then shared.
std::string walsall_twin() {
  std::string text =
      json::read_file(std::string(CRP_SOURCE_DIR) + "/config/protocols/walsall.json");
  text.replace(text.find("\"walsall\""), 9, "\"walsall-twin\"");
  auto path = test_dir() / "walsall-twin.json";
  std::ofstream(path) << text;
  return path.string();
}

std::string write_config(const std::string& name, const std::string& inputs,
                         const std::string& extra = "") {
  auto dir = test_dir();
  std::string root = CRP_SOURCE_DIR;
  std::string text = R"({"service": {"source": "urn:test"}, "calendar": {"file": ")" + root +
                     R"(/config/calendars/bank-holidays.json"}, "protocols": [")" + root +
                     R"(/config/protocols/bradford.json", ")" + root +
                     R"(/config/protocols/walsall.json", ")" + walsall_twin() + R"(", ")" + root +
                     R"(/config/protocols/calderdale.json"], "inputs": )" + inputs + extra + "}";
  auto path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

void expect_config_error(const std::string& path, const std::string& pointer,
                         const std::string& words) {
  try {
    load_service_config(path);
    FAIL() << "accepted " << path;
  } catch (const json::ConfigError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(pointer), std::string::npos) << what;
    EXPECT_NE(what.find(words), std::string::npos) << what;
  }
}

TEST(CaseSystemConnectors, ConfigErrorsNameThePointer) {
  expect_config_error(
      write_config("unknown-protocol.json",
                   R"([{"topic": "lcs", "connector": "lcs", "protocols": ["leeds"]}])"),
      "/inputs/0/protocols/0", "no loaded protocol 'leeds'");
  // Two protocols labelling a stage alike cannot share an input.
  expect_config_error(
      write_config(
          "shared-label.json",
          R"([{"topic": "m", "connector": "mosaic", "protocols": ["walsall", "walsall-twin"]}])"),
      "/inputs/0/protocols", "names both");
  expect_config_error(
      write_config(
          "bad-section.json",
          R"([{"topic": "lcs", "connector": "lcs", "sections": {"Response": "approve"}}])"),
      "/inputs/0/sections/Response", "");
  expect_config_error(
      write_config("bad-template.json", R"([{"topic": "lcs", "connector": "lcs"}])",
                   R"(, "email": {"templates": {"bradford.stage9.stage_started": "x"}})"),
      "/email/templates/bradford.stage9.stage_started", "no stage 'stage9'");
  // Defaults: every loaded protocol of the connector's case system.
  ServiceConfig ok = load_service_config(write_config(
      "ok.json",
      R"([{"topic": "lcs", "connector": "lcs"}, {"topic": "m", "connector": "mosaic", "protocols": ["walsall"]}])"));
  EXPECT_EQ(ok.inputs.size(), 2u);
}

TEST(NotifyTemplates, MostSpecificKeyWins) {
  ServiceConfig c;
  c.email.templates = {{"stage_started", "t-kind"},
                       {"walsall.stage_started", "t-protocol"},
                       {"walsall.stage2.stage_started", "t-stage"}};
  using connectors::email::template_id;
  EXPECT_EQ(template_id(c.email, "walsall", "stage2", "stage_started"), "t-stage");
  EXPECT_EQ(template_id(c.email, "walsall", "stage1", "stage_started"), "t-protocol");
  EXPECT_EQ(template_id(c.email, "bradford", "stage2", "stage_started"), "t-kind");
  EXPECT_EQ(template_id(c.email, "bradford", "", "duty_overdue"), "crp:duty_overdue");
}

TEST(StageLabels, FoldIgnoresCaseSpacesAndPunctuation) {
  EXPECT_EQ(connectors::fold("Children's Service  Manager"),
            connectors::fold("childrens service manager"));
  EXPECT_NE(connectors::fold("CP Challenge Stage 1"), connectors::fold("CP Challenge Stage 2"));
}

}  // namespace
}  // namespace crp
