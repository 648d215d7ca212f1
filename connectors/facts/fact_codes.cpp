#include "connectors/facts/fact_codes.h"

#include <algorithm>

namespace crp::connectors::facts {

bool is_code(std::string_view t) {
  if (t.empty() || t.size() > 64 || t[0] < 'a' || t[0] > 'z') return false;
  return std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string code_or_other(std::string_view t) {
  if (t.empty()) return {};
  return is_code(t) ? std::string(t) : "other";
}

std::vector<std::string> codes_or_other(const std::vector<std::string>& texts) {
  std::vector<std::string> out;
  for (const auto& t : texts) {
    std::string c = code_or_other(t);
    if (!c.empty() && std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  return out;
}

}  // namespace crp::connectors::facts
