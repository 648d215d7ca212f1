// A throw-away PKI for tests and benchmarks: a CA and server certificates
// made with OpenSSL's APIs (no `openssl` binary needed), held as PEM text.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace crp::test {

struct PemPair {
  std::string cert_pem;
  std::string key_pem;
};

class TestCa {
 public:
  explicit TestCa(const std::string& common_name) : key_(new_key()), cert_(X509_new(), X509_free) {
    init(cert_.get(), common_name, key_.get(), 1);
    X509_set_issuer_name(cert_.get(), X509_get_subject_name(cert_.get()));
    add_ext(cert_.get(), cert_.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert_.get(), cert_.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(cert_.get(), cert_.get(), NID_subject_key_identifier, "hash");
    if (!X509_sign(cert_.get(), key_.get(), EVP_sha256()))
      throw std::runtime_error("cannot sign CA certificate");
    cert_pem_ = pem(cert_.get());
  }

  const std::string& cert_pem() const { return cert_pem_; }

  // A server certificate; `san` is an OpenSSL subjectAltName value, e.g.
  // "IP:127.0.0.1,DNS:localhost".
  PemPair issue(const std::string& common_name, const std::string& san) {
    auto key = new_key();
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
    init(cert.get(), common_name, key.get(), ++serial_);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(cert_.get()));
    add_ext(cert_.get(), cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert_.get(), cert.get(), NID_ext_key_usage, "serverAuth");
    add_ext(cert_.get(), cert.get(), NID_subject_alt_name, san);
    add_ext(cert_.get(), cert.get(), NID_authority_key_identifier, "keyid");
    if (!X509_sign(cert.get(), key_.get(), EVP_sha256()))
      throw std::runtime_error("cannot sign server certificate");
    return {pem(cert.get()), pem(key.get())};
  }

 private:
  using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

  static Key new_key() {
    Key k(EVP_EC_gen("P-256"), EVP_PKEY_free);
    if (!k) throw std::runtime_error("cannot generate a P-256 key");
    return k;
  }

  static void init(X509* x, const std::string& cn, EVP_PKEY* key, long serial) {
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 7 * 24 * 3600);
    X509_set_pubkey(x, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  }

  static void add_ext(X509* issuer, X509* subject, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, subject, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) throw std::runtime_error("bad certificate extension " + value);
    X509_add_ext(subject, ext, -1);
    X509_EXTENSION_free(ext);
  }

  template <class Write>
  static std::string to_pem(Write write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    if (!write(bio.get())) throw std::runtime_error("cannot write PEM");
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
  }
  static std::string pem(X509* x) {
    return to_pem([x](BIO* b) { return PEM_write_bio_X509(b, x); });
  }
  static std::string pem(EVP_PKEY* k) {
    return to_pem([k](BIO* b) {
      return PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
    });
  }

  Key key_;
  std::unique_ptr<X509, decltype(&X509_free)> cert_;
  std::string cert_pem_;
  long serial_ = 1;
};

}  // namespace crp::test
