#include "adapter/runtime/admin/routes.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "adapter/runtime/admin/challenge_view.h"
#include "adapter/runtime/admin/notify_callback.h"

namespace crp::admin {
namespace {

constexpr std::string_view kChallengesPrefix = "/v1/challenges";

// The value of `key` in a query string ("a=1&b=2"), if present.
std::optional<std::string> query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == key)
      return std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// Challenge ids are the case system's identifiers: letters, digits and a
// few separators. Anything else is refused before any lookup.
bool plausible_id(std::string_view id) {
  return !id.empty() && id.size() <= 200 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == ':';
  });
}

}  // namespace

AdminResponse error_response(unsigned status, const std::string& message) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.StartObject();
  w.Key("error");
  w.String(message.c_str(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  return {status, "application/json", std::string(b.GetString(), b.GetSize()), {}};
}

AdminRoutes::AdminRoutes(const AdminView& view, MetricsRegistry& metrics, BearerToken token)
    : view_(view), metrics_(metrics), token_(std::move(token)) {}

AdminResponse AdminRoutes::handle(const AdminRequest& request) const {
  const auto question = request.target.find('?');
  const std::string path = request.target.substr(0, question);
  const std::string query =
      question == std::string::npos ? std::string() : request.target.substr(question + 1);

  // Notify's receipts carry their own token, never the admin token (decision 0049).
  if (notify_ && path == kNotifyCallbackPath) return notify_->handle(request);
  if (path.starts_with("/v1/") || path == "/v1") {
    // Authentication before anything else, so an unauthenticated caller
    // cannot even learn which paths exist.
    if (!token_.accepts(request.authorization)) {
      AdminResponse r = error_response(
          401, token_.configured() ? "a valid Bearer token is required"
                                   : "no admin token is configured (admin.token_file)");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"crp-adapter\"");
      return r;
    }
  }
  if (request.method != "GET" && request.method != "HEAD") {
    AdminResponse r = error_response(405, "only GET is supported");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n", {}};
  if (path == "/readyz") {
    const Readiness r = view_.readiness();
    return {r.ready ? 200u : 503u, "text/plain; charset=utf-8", r.reason + "\n", {}};
  }
  if (path == "/metrics") return {200, kPrometheusContentType, metrics_.render(), {}};
  if (path.starts_with(kChallengesPrefix)) return challenges(path, query);
  return error_response(404, "no such resource");
}

AdminResponse AdminRoutes::challenges(const std::string& path, const std::string& query) const {
  const Instant now = view_.now();
  if (path == kChallengesPrefix || path == std::string(kChallengesPrefix) + "/") {
    const bool overdue = query_value(query, "overdue") == "true";
    const bool quarantined = query_value(query, "quarantined") == "true";
    if (!overdue && !quarantined) {
      return error_response(400, "list with ?overdue=true or ?quarantined=true");
    }
    std::vector<std::pair<std::string, std::string>> found;  // id -> JSON, sorted by id
    if (overdue) {
      view_.for_each_challenge([&](const Challenge& c, std::int32_t partition) {
        if (is_overdue(c, now)) found.emplace_back(c.id, challenge_json(c, partition, now));
      });
    } else {
      view_.for_each_quarantined(
          [&](const Challenge& c, const std::string& reason, std::int32_t partition) {
            found.emplace_back(c.id, challenge_json(c, partition, now, &reason));
          });
    }
    std::sort(found.begin(), found.end());
    std::string body = "{\"challenges\":[";
    for (std::size_t i = 0; i < found.size(); ++i) {
      if (i) body += ',';
      body += found[i].second;
    }
    body += "],\"count\":" + std::to_string(found.size()) + "}";
    return {200, "application/json", std::move(body), {}};
  }
  if (path.size() <= kChallengesPrefix.size() + 1 || path[kChallengesPrefix.size()] != '/') {
    return error_response(404, "no such resource");
  }
  const std::string id = path.substr(kChallengesPrefix.size() + 1);
  if (!plausible_id(id)) return error_response(400, "malformed challenge id");
  std::int32_t partition = -1;
  if (const Challenge* c = view_.find_challenge(id, partition))
    return {200, "application/json", challenge_json(*c, partition, now), {}};
  std::string body;
  view_.for_each_quarantined(
      [&](const Challenge& c, const std::string& reason, std::int32_t partition) {
        if (c.id == id) body = challenge_json(c, partition, now, &reason);
      });
  if (!body.empty()) return {200, "application/json", std::move(body), {}};
  return error_response(404, "no challenge with this id on this instance's partitions");
}

}  // namespace crp::admin
