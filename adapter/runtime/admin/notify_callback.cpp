#include "adapter/runtime/admin/notify_callback.h"

#include <array>
#include <string_view>

namespace crp::admin {
namespace {

// Notify's documented statuses for emails; anything else is counted as
// "other" so a caller cannot grow the metric's label set.
constexpr std::array<std::string_view, 4> kStatuses = {"delivered", "permanent-failure",
                                                       "temporary-failure", "technical-failure"};

std::string status_label(const std::string& status) {
  for (std::string_view s : kStatuses)
    if (status == s) return status;
  return "other";
}

}  // namespace

NotifyCallback::NotifyCallback(BearerToken token, Sink on_permanent_failure,
                               MetricsRegistry& metrics)
    : token_(std::move(token)),
      sink_(std::move(on_permanent_failure)),
      receipts_(metrics.counter("crp_notify_receipts_total",
                                "GOV.UK Notify delivery receipts received, by status",
                                {"status"})) {}

AdminResponse NotifyCallback::handle(const AdminRequest& request) const {
  if (!token_.accepts(request.authorization)) {
    AdminResponse r = error_response(401, "a valid Bearer token is required");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"crp-adapter notify\"");
    return r;
  }
  if (request.method != "POST") {
    AdminResponse r = error_response(405, "only POST is supported");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  std::string problem;
  std::optional<notify::Receipt> receipt = notify::parse_receipt(request.body, problem);
  if (!receipt) return error_response(400, problem);
  receipts_.with({status_label(receipt->status)}).inc();
  if (receipt->status == "permanent-failure" && sink_ && !sink_(*receipt))
    return error_response(503, "the failure could not be recorded; call again");
  return {200, "application/json", "{}", {}};
}

}  // namespace crp::admin
