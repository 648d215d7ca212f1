// Which librdkafka errors end the service at once (wrong SASL credentials, an
// untrusted broker certificate) and which it rides out (lost connections).
// The texts are librdkafka 2.0.2's, as logged against scripts/kafka-local
// with KAFKA_SECURE=1; tests/integration/e2e_secured_kafka.py runs the real thing.
#include <gtest/gtest.h>

#include "adapter/infra/kafka/event_logger.h"

namespace crp::kafka {
namespace {

const std::string kWrongPassword =
    "sasl_ssl://127.0.0.1:18693/bootstrap: SASL authentication error: Authentication failed "
    "during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (after "
    "565ms in state AUTH_REQ)";
const std::string kUntrustedCa =
    "ssl://127.0.0.1:18692/bootstrap: SSL handshake failed: error:0A000086:SSL "
    "routines::certificate verify failed: broker certificate could not be verified, verify that "
    "ssl.ca.location is correctly configured or root CA certificates are installed (install "
    "ca-certificates package) (after 75ms in state SSL_HANDSHAKE)";

TEST(CredentialFailure, WrongSaslPasswordFromTheLogLine) {
  auto cause = credential_failure(RdKafka::ERR_NO_ERROR, kWrongPassword);
  ASSERT_TRUE(cause);
  EXPECT_NE(cause->find("SASL authentication failed"), std::string::npos);
  EXPECT_NE(cause->find("sasl.password"), std::string::npos);  // names the setting, not its value
}

TEST(CredentialFailure, WrongSaslPasswordFromTheErrorEvent) {
  EXPECT_TRUE(credential_failure(RdKafka::ERR__AUTHENTICATION, "sasl_ssl://h:1/bootstrap: x"));
}

TEST(CredentialFailure, UntrustedBrokerCertificate) {
  auto cause = credential_failure(RdKafka::ERR_NO_ERROR, kUntrustedCa);
  ASSERT_TRUE(cause);
  EXPECT_NE(cause->find("ssl.ca.location"), std::string::npos);
  EXPECT_TRUE(credential_failure(RdKafka::ERR__SSL, kUntrustedCa));
}

TEST(CredentialFailure, ClientCertificateRefusedByTheBroker) {
  auto cause = credential_failure(
      RdKafka::ERR__SSL,
      "ssl://h:9093/1: SSL handshake failed: error:0A000412:SSL routines::sslv3 alert bad "
      "certificate: SSL alert number 42 (after 5ms in state SSL_HANDSHAKE)");
  ASSERT_TRUE(cause);
  EXPECT_NE(cause->find("ssl.certificate.location"), std::string::npos);
}

TEST(CredentialFailure, LostConnectionsAreRetriedNotFatal) {
  for (const std::string& text : {
           std::string("ssl://127.0.0.1:18692/1: Disconnected (after 12ms in state UP)"),
           std::string("ssl://127.0.0.1:18692/1: SSL handshake failed: Disconnected: connection "
                       "closed by peer (after 3ms in state SSL_HANDSHAKE)"),
           std::string("sasl_ssl://h:1/1: SASL authentication error: SaslAuthenticateRequest "
                       "failed: Local: Broker transport failure"),
           std::string("127.0.0.1:18600/1: Connect to ipv4#127.0.0.1:18600 failed: Connection "
                       "refused (after 0ms in state CONNECT)"),
       }) {
    EXPECT_FALSE(credential_failure(RdKafka::ERR__TRANSPORT, text)) << text;
    EXPECT_FALSE(credential_failure(RdKafka::ERR_NO_ERROR, text)) << text;
  }
  EXPECT_FALSE(credential_failure(RdKafka::ERR__ALL_BROKERS_DOWN, "1/1 brokers are down"));
}

}  // namespace
}  // namespace crp::kafka
