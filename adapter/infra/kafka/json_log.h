// Structured logging for the live service: one JSON object per line on
// stderr (time, level, message, then fields). Callers pass counts, ids,
// topics, partitions and offsets only: never record values or names, which
// can carry a child's personal data. Thread-safe, because librdkafka reports
// its own log lines from its internal threads.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <ranges>
#include <string>
#include <string_view>
#include <variant>

namespace crp::kafka {

enum class LogLevel { debug, info, warning, error };

struct LogField {
  std::string_view key;
  std::variant<std::string_view, std::int64_t> value;

  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  template <typename Int, typename = std::enable_if_t<std::is_integral_v<Int>>>
  LogField(std::string_view k, Int v) : key(k), value(static_cast<std::int64_t>(v)) {}
};

void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});

// Partition numbers as one field value or message fragment: "0,1,2". Takes
// any range of numbers, e.g. std::views::keys of a map keyed by partition.
template <std::ranges::input_range Partitions>
std::string partition_list(const Partitions& partitions) {
  std::string out;
  for (const auto p : partitions) out += (out.empty() ? "" : ",") + std::to_string(p);
  return out;
}

}  // namespace crp::kafka
