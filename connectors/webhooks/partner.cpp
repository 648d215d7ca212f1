#include "connectors/webhooks/partner.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "adapter/core/secret.h"
#include "adapter/json/json.h"
#include "adapter/json/schema_registry.h"
#include "connectors/webhooks/signature.h"

namespace crp::webhooks {
namespace {

using json::ConfigError;
using std::chrono::milliseconds;

std::string resolve(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path path(p);
  return (path.is_absolute() ? path : base / path).lexically_normal().string();
}

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

std::set<std::string> names(const rapidjson::Value& o, const char* key) {
  std::set<std::string> out;
  if (o.HasMember(key)) {
    for (const auto& v : o[key].GetArray()) out.insert(v.GetString());
  }
  return out;
}

// A secret reference -> raw key. Errors name the variable or file, never the
// value; the whsec_ text is wiped by its Secret, a refused key here.
std::string read_signing_key(const rapidjson::Value& ref, const std::filesystem::path& base,
                             const std::string& file, const std::string& at) {
  const SecretSource source = SecretSource::from_json(ref, base);
  const std::string where = source.describe();
  const Secret text = read_secret(source, file, at);
  if (!text.view().starts_with("whsec_"))
    throw ConfigError(file, at, where + " does not hold a whsec_<base64> secret");
  auto key = decode_secret(text.str());
  if (!key) throw ConfigError(file, at, where + " is not valid base64 after whsec_");
  if (key->size() < 16) {
    wipe(*key);
    throw ConfigError(file, at, where + " is shorter than 16 bytes (128 bits)");
  }
  return std::move(*key);  // at least 16 bytes: on the heap, so the move leaves no copy
}

}  // namespace

std::optional<Endpoint> parse_endpoint(const std::string& url, std::string& error) {
  Endpoint e;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    error = "URL has no scheme";
    return std::nullopt;
  }
  e.scheme = url.substr(0, scheme_end);
  std::transform(e.scheme.begin(), e.scheme.end(), e.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (e.scheme != "https" && e.scheme != "http") {
    error = "URL scheme must be https";
    return std::nullopt;
  }
  const std::size_t authority_start = scheme_end + 3;
  std::size_t authority_end = url.find_first_of("/?#", authority_start);
  if (authority_end == std::string::npos) authority_end = url.size();
  const std::string authority = url.substr(authority_start, authority_end - authority_start);
  if (authority.find('@') != std::string::npos) {
    error = "URL must not carry user information";
    return std::nullopt;
  }
  std::string port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) {
      error = "URL has an unterminated IPv6 host";
      return std::nullopt;
    }
    e.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        error = "URL has text after the IPv6 host";
        return std::nullopt;
      }
      port = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.find(':');
    e.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (e.host.empty()) {
    error = "URL has no host";
    return std::nullopt;
  }
  if (port.empty()) {
    port = e.scheme == "https" ? "443" : "80";
  } else if (port.size() > 5 ||
             !std::all_of(port.begin(), port.end(),
                          [](unsigned char c) { return std::isdigit(c); }) ||
             std::stoi(port) == 0 || std::stoi(port) > 65535) {
    error = "URL port is not a number from 1 to 65535";
    return std::nullopt;
  }
  e.port = port;
  if (url.find('#', authority_end) != std::string::npos) {
    error = "URL must not have a fragment";
    return std::nullopt;
  }
  e.target = url.substr(authority_end);
  if (e.target.empty() || e.target.front() != '/') e.target = "/" + e.target;
  return e;
}

Partner load_partner_file(const std::string& path, bool resolve_secrets) {
  rapidjson::Document doc = json::parse_file(path);
  if (auto v = json::validate("partner.schema.json", doc))
    throw ConfigError(path, v->document_pointer, v->message);
  const std::filesystem::path base = std::filesystem::path(path).parent_path();

  Partner p;
  p.id = doc["id"].GetString();
  p.kind = doc["kind"].GetString();
  p.url = doc["url"].GetString();
  if (doc.HasMember("allow_insecure_loopback"))
    p.allow_insecure_loopback = doc["allow_insecure_loopback"].GetBool();
  std::string error;
  auto endpoint = parse_endpoint(p.url, error);
  if (!endpoint) throw ConfigError(path, "/url", error);
  if (endpoint->scheme == "http") {
    if (!p.allow_insecure_loopback) {
      throw ConfigError(path, "/url", "URL must be https (http only with allow_insecure_loopback)");
    }
    if (!is_loopback(endpoint->host)) {
      throw ConfigError(path, "/url", "http is allowed only for 127.0.0.1, ::1 or localhost");
    }
  }
  p.endpoint = *endpoint;

  const auto& secrets = doc["secrets"];
  for (rapidjson::SizeType i = 0; resolve_secrets && i < secrets.Size(); ++i) {
    p.secrets.push_back(
        read_signing_key(secrets[i], base, path, json::pointer_append("/secrets", i)));
  }

  const auto& s = doc["subscription"];
  p.subscription.routes = names(s, "routes");
  p.subscription.event_types = names(s, "event_types");
  p.subscription.protocols = names(s, "protocols");
  p.subscription.stages = names(s, "stages");
  p.subscription.agencies = names(s, "agencies");
  p.allowed_fields = names(doc, "allowed_fields");
  // The case reference identifies a child: a partner receives it only when its
  // file says why it needs it (docs/decisions/0050).
  if (p.allowed_fields.count("case_id") && !doc.HasMember("case_id_justification")) {
    throw ConfigError(path, "/allowed_fields",
                      "case_id is allowed without a case_id_justification saying why this "
                      "partner needs the child's case reference");
  }

  if (doc.HasMember("timeout_ms")) p.timeout = milliseconds(doc["timeout_ms"].GetInt());
  if (doc.HasMember("max_in_flight")) p.max_in_flight = doc["max_in_flight"].GetInt();
  if (doc.HasMember("rate_limit_per_s")) p.rate_limit_per_s = doc["rate_limit_per_s"].GetDouble();
  if (doc.HasMember("retry")) {
    const auto& r = doc["retry"];
    if (r.HasMember("schedule_ms")) {
      p.retry.schedule.clear();
      for (const auto& d : r["schedule_ms"].GetArray())
        p.retry.schedule.push_back(milliseconds(d.GetInt64()));
    }
    if (r.HasMember("jitter")) p.retry.jitter = r["jitter"].GetDouble();
  }
  if (doc.HasMember("circuit_breaker")) {
    const auto& c = doc["circuit_breaker"];
    if (c.HasMember("failures_to_open"))
      p.breaker.failures_to_open = c["failures_to_open"].GetInt();
    if (c.HasMember("open_for_ms")) p.breaker.open_for = milliseconds(c["open_for_ms"].GetInt64());
  }
  if (doc.HasMember("ca_file")) {
    p.ca_file = resolve(base, doc["ca_file"].GetString());
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p.ca_file, ec)) {
      throw ConfigError(path, "/ca_file", "CA file " + p.ca_file + " cannot be read");
    }
  }
  return p;
}

PartnerRegistry load_partners(const std::string& dir, bool resolve_secrets) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw ConfigError(dir, "", "partner directory does not exist");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json")
      files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  PartnerRegistry registry;
  for (const std::string& file : files) {
    Partner p = load_partner_file(file, resolve_secrets);
    if (registry.find(p.id))
      throw ConfigError(file, "/id", "partner id '" + p.id + "' is defined twice");
    registry.partners.push_back(std::move(p));
  }
  return registry;
}

}  // namespace crp::webhooks
