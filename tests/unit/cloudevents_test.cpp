// CloudEvents 1.0 envelopes on canonical inputs: binary and structured mode,
// and every way a record can claim to be a CloudEvent without being one.
#include "connectors/canonical/cloudevents.h"

#include <gtest/gtest.h>

#include "connectors/canonical/canonical_source.h"
#include "tests/unit/engine_fixture.h"

namespace crp::connectors::canonical {
namespace {

const std::string kEvent =
    R"({"type":"challenge.raised","event_id":"e1","occurred_at":"2027-01-11T10:00:00Z","challenge_id":"ROT-1","case_id":"K1","protocol":"rotherham"})";

Record binary(std::vector<Header> headers, const std::string& value = kEvent) {
  Record r;
  r.topic = "crp.commands";
  r.headers = std::move(headers);
  r.value = value;
  return r;
}

std::vector<Header> good_headers() {
  return {{"ce_specversion", "1.0"},           {"ce_id", "lcs-42"},
          {"ce_source", "urn:lcs:bradford"},   {"ce_type", "uk.gov.crp.challenge.raised"},
          {"ce_time", "2027-01-11T10:00:00Z"}, {"content-type", "application/json; charset=utf-8"}};
}

SourceResult map(const Record& r) {
  static const Engine engine(testing::example_config().protocols);
  return CanonicalSource().map(r, engine);
}

TEST(CloudEvents, BinaryModeWithValidHeadersMapsTheValue) {
  SourceResult r = map(binary(good_headers()));
  ASSERT_TRUE(r.event) << r.error.message;
  EXPECT_EQ(r.event->challenge_id, "ROT-1");
  CloudEvent ce;
  rapidjson::Document data;
  std::string error;
  ASSERT_TRUE(read_cloudevent(binary(good_headers()), ce, data, error));
  EXPECT_EQ(ce.mode, CloudEvent::Mode::binary);
  EXPECT_EQ(ce.id, "lcs-42");
}

TEST(CloudEvents, PlainCanonicalRecordsNeedNoEnvelope) {
  SourceResult r =
      map(binary({{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}));
  ASSERT_TRUE(r.event) << r.error.message;
}

TEST(CloudEvents, BinaryModeErrorsNameTheAttribute) {
  auto error_for = [](std::vector<Header> headers) {
    SourceResult r = map(binary(std::move(headers)));
    EXPECT_FALSE(r.event);
    EXPECT_EQ(r.error.error_class, "crp.CloudEventsViolation");
    return r.error.message;
  };
  auto without = [](const std::string& key) {
    auto h = good_headers();
    std::erase_if(h, [&](const Header& x) { return x.key == key; });
    return h;
  };
  auto with = [](const std::string& key, const std::string& value) {
    auto h = good_headers();
    for (auto& x : h) {
      if (x.key == key) x.value = value;
    }
    return h;
  };
  EXPECT_EQ(error_for(without("ce_specversion")), "CloudEvents header ce_specversion is missing");
  EXPECT_EQ(error_for(with("ce_specversion", "0.3")),
            "CloudEvents header ce_specversion is not 1.0");
  EXPECT_EQ(error_for(without("ce_id")), "CloudEvents header ce_id is missing or empty");
  EXPECT_EQ(error_for(without("ce_source")), "CloudEvents header ce_source is missing or empty");
  EXPECT_EQ(error_for(with("ce_type", "")), "CloudEvents header ce_type is missing or empty");
  EXPECT_EQ(error_for(with("ce_time", "Monday")),
            "CloudEvents header ce_time is not an RFC 3339 timestamp");
  EXPECT_EQ(error_for(with("content-type", "application/xml")),
            "CloudEvents binary mode: content-type is not application/json");
  auto twice = good_headers();
  twice.push_back({"ce_id", "other"});
  EXPECT_EQ(error_for(twice), "CloudEvents header ce_id appears twice");
  // A header name is input too: one that is not an attribute name's shape is
  // withheld from the dead letter's message (docs/decisions/0045).
  auto named = good_headers();
  named.push_back({"ce_Jane Smith", "a"});
  named.push_back({"ce_Jane Smith", "b"});
  EXPECT_EQ(error_for(named), "CloudEvents header ce_<withheld> appears twice");
  EXPECT_EQ(error_for(with("ce_type", "uk.gov.crp.challenge.withdrawn")),
            "CloudEvents type does not agree with the event's type");
}

TEST(CloudEvents, StructuredModeCarriesTheEventInData) {
  const std::string value =
      R"({"specversion":"1.0","id":"m-7","source":"urn:mosaic:walsall","type":"challenge.raised",
    "datacontenttype":"application/json","data":)" +
      kEvent + "}";
  SourceResult r =
      map(binary({{"content-type", "application/cloudevents+json; charset=UTF-8"}}, value));
  ASSERT_TRUE(r.event) << r.error.message;
  EXPECT_EQ(r.event->event_id, "e1");
}

TEST(CloudEvents, StructuredModeErrors) {
  auto error_for = [](const std::string& value,
                      const std::string& type = "application/cloudevents+json") {
    SourceResult r = map(binary({{"content-type", type}}, value));
    EXPECT_FALSE(r.event);
    return r.error.error_class + ": " + r.error.message;
  };
  const std::string attrs =
      R"("specversion":"1.0","id":"m-7","source":"urn:mosaic","type":"challenge.raised")";
  EXPECT_EQ(error_for("{" + attrs + "}"),
            "crp.CloudEventsViolation: CloudEvents attribute data is missing");
  EXPECT_EQ(error_for("{" + attrs + R"(,"data":"text"})"),
            "crp.CloudEventsViolation: CloudEvents attribute data is not a JSON object");
  EXPECT_EQ(
      error_for("{" + attrs + R"(,"data_base64":"e30="})"),
      "crp.CloudEventsViolation: CloudEvents data_base64 is not supported: send data as JSON");
  EXPECT_EQ(error_for(R"({"specversion":1.0,"data":{}})"),
            "crp.CloudEventsViolation: CloudEvents attribute specversion is not a string");
  EXPECT_EQ(error_for(R"({"specversion":"1.0","id":"x","source":"s","data":{}})"),
            "crp.CloudEventsViolation: CloudEvents attribute type is missing or empty");
  EXPECT_EQ(
      error_for("[" + kEvent + "]", "application/cloudevents-batch+json"),
      "crp.CloudEventsViolation: CloudEvents batch mode is not supported: one event per record");
  EXPECT_EQ(error_for("{" + attrs + R"(,"data":{"type":"challenge.resolved"}})").substr(0, 34),
            "crp.CloudEventsViolation: CloudEve");
  EXPECT_EQ(error_for("{" + attrs + R"(,"data":{"type":"challenge.raised"}})").substr(0, 22),
            "crp.SchemaViolation: c");
  EXPECT_EQ(error_for("not json").substr(0, 72),
            "crp.CloudEventsViolation: CloudEvents structured mode: value is not JSON");
}

TEST(CloudEvents, TypeAgreement) {
  EXPECT_TRUE(type_agrees("challenge.raised", "challenge.raised"));
  EXPECT_TRUE(type_agrees("uk.gov.crp.challenge.raised", "challenge.raised"));
  EXPECT_FALSE(type_agrees("uk.gov.crp.xchallenge.raised", "challenge.raised"));
  EXPECT_FALSE(type_agrees("raised", "challenge.raised"));
  EXPECT_FALSE(type_agrees(".challenge.raised", "challenge.raised.extra"));
}

}  // namespace
}  // namespace crp::connectors::canonical
