#include "adapter/runtime/kafka/output_type_label.h"

#include <gtest/gtest.h>

namespace crp::kafka {
namespace {

Record with_type(std::string topic, std::string ce_type) {
  Record r;
  r.topic = std::move(topic);
  r.headers.push_back({"ce_type", std::move(ce_type)});
  return r;
}

TEST(OutputTypeLabel, OurCloudEventTypesAreLabels) {
  EXPECT_EQ(output_type_label(with_type("crp.escalations", "uk.gov.crp.challenge.stage_started"),
                              "crp.dlq"),
            "challenge.stage_started");
  Record email;
  email.topic = "crp.notifications.email";
  EXPECT_EQ(output_type_label(email, "crp.dlq"), "record");
}

// A dead letter keeps the input's headers: a source's ce_type (here with a
// child's name in it) must not become a metric label.
TEST(OutputTypeLabel, InputHeadersNeverBecomeLabels) {
  EXPECT_EQ(output_type_label(with_type("crp.dlq", "uk.gov.crp.Jane-Doe"), "crp.dlq"),
            "dead_letter");
  EXPECT_EQ(output_type_label(with_type("crp.escalations", "org.example.Jane-Doe"), "crp.dlq"),
            "record");
}

}  // namespace
}  // namespace crp::kafka
