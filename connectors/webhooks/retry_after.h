// The Retry-After response header (RFC 9110 section 10.2.3): delay-seconds or
// an HTTP-date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT").
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace crp::webhooks {

// Seconds to wait from `now`; a date in the past gives 0; nullopt when unparseable.
std::optional<std::chrono::seconds> parse_retry_after(const std::string& value,
                                                      std::chrono::system_clock::time_point now);

}  // namespace crp::webhooks
