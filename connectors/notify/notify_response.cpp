#include "connectors/notify/notify_response.h"

#include <rapidjson/document.h>

#include "adapter/json/json.h"

namespace crp::notify {
namespace {

using Kind = delivery::Outcome::Kind;

// Notify's error body: {"status_code": N, "errors": [{"error": "...", "message": "..."}]}.
struct NotifyError {
  std::string error, message;
};

NotifyError first_error(const std::string& body) {
  rapidjson::Document doc;
  std::string problem;
  if (!json::parse(body, doc, problem) || !doc.IsObject()) return {};
  auto errors = doc.FindMember("errors");
  if (errors == doc.MemberEnd() || !errors->value.IsArray() || errors->value.Empty()) return {};
  const rapidjson::Value& e = errors->value[0];
  if (!e.IsObject()) return {};
  NotifyError out;
  if (e.HasMember("error") && e["error"].IsString()) out.error = e["error"].GetString();
  if (e.HasMember("message") && e["message"].IsString()) out.message = e["message"].GetString();
  return out;
}

std::string notification_id(const std::string& body) {
  rapidjson::Document doc;
  std::string problem;
  if (!json::parse(body, doc, problem) || !doc.IsObject()) return {};
  auto id = doc.FindMember("id");
  return id != doc.MemberEnd() && id->value.IsString() ? id->value.GetString() : std::string();
}

}  // namespace

Instant next_daily_reset(Instant now) {
  return std::chrono::floor<std::chrono::days>(now) + std::chrono::days(1);
}

Instant next_minute(Instant now) {
  return std::chrono::floor<std::chrono::minutes>(now) + std::chrono::minutes(1);
}

delivery::Outcome notify_outcome(const webhooks::AttemptResult& r, Instant now) {
  delivery::Outcome o = webhooks::to_outcome(r);  // transport errors, 5xx, Retry-After
  if (r.status >= 200 && r.status < 300) {
    o.kind = Kind::delivered;
    o.reference = notification_id(r.body);
    return o;
  }
  if (r.status == 0) return o;
  const NotifyError e = first_error(r.body);
  if (!e.error.empty()) o.detail = e.error + ": " + e.message;  // Notify's words, no request data
  if (r.status == 429) {
    // Both limits are the API key's: the whole channel waits, not one lane.
    o.kind = Kind::retry;
    o.hold_channel = true;
    if (e.error == "TooManyRequestsError") {
      o.after = std::chrono::duration_cast<std::chrono::milliseconds>(next_daily_reset(now) - now);
    } else if (!o.after) {  // RateLimitError without Retry-After: until the minute ends
      o.after = std::chrono::duration_cast<std::chrono::milliseconds>(next_minute(now) - now);
    }
    return o;
  }
  if (r.status >= 500) {
    o.kind = Kind::retry;
    return o;
  }
  if (r.status >= 400) o.kind = Kind::rejected;  // 400, 403 and any other 4xx: never retried
  return o;
}

}  // namespace crp::notify
