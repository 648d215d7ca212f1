#include "connectors/webhooks/retry_after.h"

#include <date/date.h>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <sstream>

namespace crp::webhooks {

std::optional<std::chrono::seconds> parse_retry_after(const std::string& raw,
                                                      std::chrono::system_clock::time_point now) {
  std::string value = raw;
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
  value.erase(0, std::min(value.size(), value.find_first_not_of(" \t")));
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); })) {
    std::int64_t seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range)
      return std::chrono::seconds(std::numeric_limits<std::int32_t>::max());
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    return std::chrono::seconds(seconds);
  }
  std::istringstream in(value);
  date::sys_seconds at;
  in >> date::parse("%a, %d %b %Y %H:%M:%S GMT", at);
  if (in.fail()) return std::nullopt;
  const auto delta = std::chrono::duration_cast<std::chrono::seconds>(at - now);
  return std::max(delta, std::chrono::seconds(0));
}

}  // namespace crp::webhooks
