// Agency codes and the intake step (docs/decisions/0042): free text becomes a
// code or `other`, never a guess; contacts are kept only for the protocol's
// roles and from allowed domains; a partner agency's role never resolves to a
// council mailbox.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "adapter/engine/engine.h"
#include "adapter/json/json.h"
#include "adapter/runtime/intake.h"
#include "adapter/runtime/service_config.h"
#include "connectors/email/notify_email.h"

namespace crp {
namespace {

const std::string kConfig = std::string(CRP_SOURCE_DIR) + "/config/crp-adapter.json";

struct Counting : IntakeObserver {
  int unmapped = 0;
  std::vector<std::string> refused;
  void agency_unmapped() override { ++unmapped; }
  void contact_refused(std::string_view reason) override { refused.emplace_back(reason); }
};

TEST(AgencyCodes, ShippedAliasesMapTheSamplesSpellings) {
  const ServiceConfig config = load_service_config(kConfig);
  const AgencyCodes& codes = config.agencies;
  EXPECT_EQ(codes.code_of("Community Paediatrics").code, "health");
  EXPECT_EQ(codes.code_of("  health   visiting SERVICE ").code, "health");
  EXPECT_EQ(codes.code_of("Police Public Protection Unit").code, "police");
  EXPECT_EQ(codes.code_of("Primary School").code, "education");
  EXPECT_EQ(codes.code_of("Children's Social Care Assessment Team").code, "local_authority");
  EXPECT_EQ(codes.code_of("police").code, "police");  // a code is its own alias
  EXPECT_TRUE(codes.code_of("police").known);
  EXPECT_EQ(codes.code_of("").code, "");  // no agency given
}

TEST(AgencyCodes, UnknownTextIsOtherAndNeverGuessed) {
  const AgencyCodes codes;  // the codes alone
  const auto near_miss = codes.code_of("Polise");
  EXPECT_EQ(near_miss.code, "other");
  EXPECT_FALSE(near_miss.known);
  EXPECT_EQ(codes.code_of("Community Paediatrics").code, "other");  // no table: no alias
}

TEST(AgencyCodes, AnAliasUnderTwoCodesIsRefusedWithItsPointer) {
  rapidjson::Document d;
  std::string error;
  ASSERT_TRUE(json::parse(R"({"aliases":{"health":["GP"],"police":["gp"]}})", d, error)) << error;
  try {
    AgencyCodes::from_json(d, "agencies.json");
    FAIL() << "accepted an alias of two codes";
  } catch (const json::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/aliases/police/0"), std::string::npos) << e.what();
  }
}

// State written before agencies were coded holds the case system's text: coded
// once as it is restored, so every sink (email roles included) sees a code.
TEST(AgencyCodes, RestoredStateFromBeforeCodesIsCodedOnce) {
  const ServiceConfig config = load_service_config(kConfig);
  Engine engine(config.protocols);
  engine.set_agency_codes(&config.agencies);
  Challenge old;
  old.id = "OLD-1";
  old.protocol = "rotherham";
  old.stage = "stage1";
  old.agency = "Police Public Protection Unit";
  engine.restore(old);
  Challenge coded = old;
  coded.id = "NEW-1";
  coded.agency = "health";
  engine.restore(coded);
  ASSERT_NE(engine.find("OLD-1"), nullptr);
  EXPECT_EQ(engine.find("OLD-1")->agency, "police");
  EXPECT_EQ(engine.find("NEW-1")->agency, "health");
}

TEST(Intake, CodesTheAgencyAndCountsUnmappedText) {
  const ServiceConfig config = load_service_config(kConfig);
  Intake intake(config);
  Counting seen;
  intake.set_observer(&seen);
  InboundEvent e;
  e.protocol = "calderdale";
  e.agency = "Health Visiting Service";
  intake.admit(e);
  EXPECT_EQ(e.agency, "health");
  EXPECT_EQ(seen.unmapped, 0);
  e.agency = "A Completely New Agency";
  intake.admit(e);
  EXPECT_EQ(e.agency, "other");
  EXPECT_EQ(seen.unmapped, 1);
}

TEST(Intake, KeepsOnlyContactsForTheProtocolsRolesFromAllowedDomains) {
  const ServiceConfig config = load_service_config(kConfig);
  Intake intake(config);
  Counting seen;
  intake.set_observer(&seen);
  InboundEvent e;
  e.protocol = "calderdale";
  e.agency = "police";
  e.contact_emails = {{"professional", "pc.1@police.example"},        // the agency's domain
                      {"supervising_manager", "sgt@Police.Example"},  // case does not matter
                      {"cpcc", "chair@authority.example"},            // the council's
                      {"senior_manager", "someone@mail.example"},     // neither
                      {"no_such_role", "x@authority.example"},        // not a role
                      {"scb_manager", "board@nhs.example"}};          // another agency's domain
  intake.admit(e);
  EXPECT_EQ(e.contact_emails.size(), 3u);
  EXPECT_TRUE(e.contact_emails.count("professional"));
  EXPECT_TRUE(e.contact_emails.count("supervising_manager"));
  EXPECT_TRUE(e.contact_emails.count("cpcc"));
  ASSERT_EQ(seen.refused.size(), 3u);
  EXPECT_EQ(std::count(seen.refused.begin(), seen.refused.end(), "not_a_role"), 1);
  EXPECT_EQ(std::count(seen.refused.begin(), seen.refused.end(), "domain_not_allowed"), 2);
}

TEST(RoleDirectory, PartnerAgencyRolesNeverFallBackToTheCouncil) {
  const ServiceConfig config = load_service_config(kConfig);
  const auto& d = config.email.directory;
  EXPECT_EQ(d.resolve_for_agency("supervising_manager", "police", ""),
            "ppu.sergeants@police.example");
  // The council has a supervising_manager default; housing has no entry.
  EXPECT_TRUE(d.resolve("supervising_manager", "", ""));
  EXPECT_FALSE(d.resolve_for_agency("supervising_manager", "housing", ""));
  EXPECT_FALSE(d.resolve_for_agency("cpcc", "police", ""));
}

}  // namespace
}  // namespace crp

namespace crp {
namespace {

// A case reference is one path segment of the case link: a reference holding
// "/", "?", "#", "@" or spaces cannot point the link anywhere else.
TEST(EmailCaseLink, CaseReferenceIsPercentEncoded) {
  const ServiceConfig config = load_service_config(kConfig);
  Effect e;
  e.challenge_id = "CAL-1";
  e.case_id = "../../admin?x=1#y @evil.example/";
  e.protocol = "calderdale";
  NotificationDecision n;
  n.template_key = "stage_started";
  n.to = {"cpcc"};
  std::vector<connectors::email::EmailRecord> out;
  std::vector<connectors::email::Unresolved> unresolved;
  connectors::email::map(e, n, config.protocols->find(e.protocol), config.email,
                         connectors::Subject{}, out, unresolved);
  ASSERT_EQ(out.size(), 1u);
  rapidjson::Document d;
  std::string error;
  ASSERT_TRUE(json::parse(out[0].value, d, error)) << error;
  EXPECT_EQ(std::string(d["personalisation"]["link"].GetString()),
            "https://casesystem.example.gov.uk/cases/"
            "..%2F..%2Fadmin%3Fx%3D1%23y%20%40evil.example%2F");
  // The reference itself is shown as given (Notify escapes it in the email).
  EXPECT_EQ(std::string(d["personalisation"]["case_reference"].GetString()), e.case_id);
}

}  // namespace
}  // namespace crp
