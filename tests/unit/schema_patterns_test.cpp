// Every `pattern` in schemas/ is really checked (docs/decisions/0026): RapidJSON
// 1.1's own regex engine silently skips a pattern it cannot compile, which is how
// a name typed into a contact's email field once reached Notify records.
#include <gtest/gtest.h>
#include <rapidjson/internal/regex.h>

#include <map>
#include <string>

#include "adapter/json/json.h"
#include "adapter/json/schema_registry.h"

namespace crp {
const std::map<std::string, std::string>& embedded_schemas();
}

namespace crp::json {
namespace {

rapidjson::Document parsed(const std::string& text) {
  rapidjson::Document d;
  std::string error;
  if (!parse(text, d, error)) throw std::invalid_argument(error);
  return d;
}

TEST(SchemaPatterns, EveryEmbeddedSchemaCompilesWithEveryPattern) {
  ASSERT_FALSE(embedded_schemas().empty());
  rapidjson::Document empty = parsed("{}");
  for (const auto& [name, text] : embedded_schemas()) {
    EXPECT_NO_THROW(validate(name, empty)) << name;
  }
}

TEST(SchemaPatterns, RapidJsonRegexLacksShorthandClassesSoSchemasSpellThemOut) {
  using Regex = rapidjson::internal::GenericRegex<rapidjson::UTF8<>>;
  EXPECT_FALSE(Regex("^[^@\\s]+@[^@\\s]+$").IsValid());
  EXPECT_TRUE(Regex("^[^@ \\t\\n\\r\\f\\v]+@[^@ \\t\\n\\r\\f\\v]+$").IsValid());
}

struct EmailCase {
  const char* schema;
  const char* document;  // with EMAIL where the address goes
  const char* pointer;
};

TEST(SchemaPatterns, ANameOrFreeTextIsNotAnEmailAddress) {
  const EmailCase cases[] = {
      {"inbound/lcs.schema.json",
       R"({"event_id": "e", "event_type": "alert.sent", "occurred_at": "2027-03-01T09:30:00Z",
           "person_id": "P", "recipients": [{"role": "Social Worker", "email": EMAIL}]})",
       "/recipients/0/email"},
      {"inbound/mosaic.schema.json",
       R"({"event_id": "e", "event_type": "form.completed", "occurred_at": "2027-03-01T09:30:00Z",
           "person_id": "P", "workflow_id": "W",
           "step": {"step_id": "S", "step_type": "T", "status": "In progress"},
           "worker": {"role": "Team Manager", "email": EMAIL}})",
       "/worker/email"},
      {"inbound/canonical.schema.json",
       R"({"type": "challenge.raised", "event_id": "e", "occurred_at": "2027-03-01T09:30:00Z",
           "challenge_id": "C", "case_id": "P", "protocol": "rotherham",
           "contacts": {"practitioner": {"email": EMAIL}}})",
       "/contacts/practitioner/email"},
  };
  for (const EmailCase& c : cases) {
    for (const char* bad : {"Amelia Quxworth", "Amelia.Quxworth", "a b@authority.example",
                            "a@b@authority.example", "a@"}) {
      std::string doc = c.document;
      doc.replace(doc.find("EMAIL"), 5, "\"" + std::string(bad) + "\"");
      auto v = validate(c.schema, parsed(doc));
      ASSERT_TRUE(v.has_value()) << c.schema << " accepted " << bad;
      EXPECT_EQ(v->document_pointer, c.pointer);
      EXPECT_EQ(v->keyword, "pattern");
      EXPECT_EQ(v->message.find("Quxworth"), std::string::npos) << v->message;
    }
    std::string doc = c.document;
    doc.replace(doc.find("EMAIL"), 5, "\"sw.team-2@authority.example\"");
    EXPECT_FALSE(validate(c.schema, parsed(doc)).has_value()) << c.schema;
  }
}

}  // namespace
}  // namespace crp::json
