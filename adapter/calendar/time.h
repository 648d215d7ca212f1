// Instants and their ISO 8601 UTC text form. The engine never reads a clock:
// every instant it sees comes from an event or from the caller's (virtual) clock.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace crp {

using Instant = std::chrono::sys_time<std::chrono::milliseconds>;

// Parses ISO 8601 with an explicit offset ("2026-12-17T09:30:00Z",
// "2026-12-17T09:30:00.250+01:00"). Returns nullopt for anything else.
std::optional<Instant> parse_iso8601(std::string_view text);

// 2000-01-01 <= t < 2101-01-01: dates a case system can mean. Anything else
// (a typo such as 2207) is refused before it can move a clock.
bool in_service_years(Instant t);

// "2027-01-05T17:00:00Z"; milliseconds are printed only when non-zero.
std::string format_iso8601(Instant t);

}  // namespace crp
