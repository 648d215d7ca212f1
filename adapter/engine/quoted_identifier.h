// An input's value as a dead letter's message may show it (docs/decisions/0025).
#pragma once

#include <string>
#include <string_view>

namespace crp {

// The value in quotes when it has the shape of the identifier the field holds
// (protocol, stage, track and duty ids are lower-case letters, digits, '_' and
// '-'): "no stage 'stage4'" tells the operator what to fix. Anything else (a
// name or free text put in the field by a mapping gone wrong upstream) is
// withheld: DLQ headers and logs never carry personal data, and the value is
// still in the dead letter's own value, the original input.
inline std::string quoted_identifier(std::string_view value) {
  constexpr std::size_t kMaxShown = 64;
  bool shown =
      !value.empty() && value.size() <= kMaxShown && value.front() >= 'a' && value.front() <= 'z';
  for (char c : value) {
    shown = shown && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  }
  return shown ? "'" + std::string(value) + "'" : std::string("<withheld: not an identifier>");
}

}  // namespace crp
