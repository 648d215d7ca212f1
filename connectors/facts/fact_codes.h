// Agencies and categories leave the service in facts as codes only: a code is
// lower-case letters, digits and '_' (at most 64), anything else is "other".
// Free text (a team's own wording, a professional's description) never
// reaches the board report, whatever an upstream system sends.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace crp::connectors::facts {

bool is_code(std::string_view text);
std::string code_or_other(std::string_view text);  // "" stays "" (not recorded)
// Codes, each once, in first-seen order.
std::vector<std::string> codes_or_other(const std::vector<std::string>& texts);

}  // namespace crp::connectors::facts
