// What the engine's changelog records (challenges: challenge_codec.cpp,
// watched plans: watch/plan_codec.cpp) share: LEB128 varints, zigzag signed
// integers, and the range every instant in a record must lie in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace crp::state_record {

// Every instant in a state record lies within this range: events are dated
// 2000-2100 (decision 0040) and deadlines follow them by at most years; an
// unset instant is the epoch. Anything outside is a damaged record, refused
// before date arithmetic (calendars, year_month_day) could overflow on it.
inline constexpr std::int64_t kEarliestMs = -2208988800000;  // 1900-01-01T00:00:00Z
inline constexpr std::int64_t kLatestMs = 10413792000000;    // 2300-01-01T00:00:00Z

constexpr bool instant_in_range(std::int64_t ms) {
  return ms >= kEarliestMs && ms <= kLatestMs;
}

constexpr std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
constexpr std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

inline void append_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

enum class VarintRead { ok, ends_early, malformed };

// Reads a varint at `pos` and moves past what it read: malformed when it is
// longer than 64 bits can hold.
inline VarintRead read_varint(std::string_view bytes, std::size_t& pos, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= bytes.size()) return VarintRead::ends_early;
    const auto b = static_cast<std::uint8_t>(bytes[pos++]);
    // The tenth byte holds bit 63 only: more would be silently dropped.
    if (shift == 63 && (b & 0x7e) != 0) return VarintRead::malformed;
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return VarintRead::ok;
  }
  return VarintRead::malformed;
}

}  // namespace crp::state_record
