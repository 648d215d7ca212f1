// Agency codes: the free text a case system records for an agency ("Community
// Paediatrics", "Police Public Protection Unit") mapped to one of a short code
// list, so that partner subscriptions, the role directory and the board report
// speak of `health` or `police`, never of spellings (config/agencies.json,
// schemas/agencies.schema.json, docs/decisions/0042).
//
// Matching is exact after normalising case and spaces: unknown text becomes
// `other` and is counted, never guessed (a near miss sent to the wrong agency
// is worse than one a person sees in the metric and adds to the table).
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace crp {

class AgencyCodes {
 public:
  static constexpr std::string_view kOther = "other";
  static constexpr std::string_view kLocalAuthority = "local_authority";

  // The codes alone, each its own alias (used when no table is configured).
  AgencyCodes();
  // Reads a table already validated against agencies.schema.json; throws
  // json::ConfigError (file, pointer) for an alias listed under two codes or
  // an alias under a code the table does not declare.
  static AgencyCodes from_json(const rapidjson::Value& doc, const std::string& file);

  struct Coded {
    std::string code;    // empty when the text is empty (no agency given)
    bool known = false;  // false: the text matched no alias and became `other`
  };
  Coded code_of(std::string_view text) const;

  const std::set<std::string>& codes() const { return codes_; }

  // A partner agency: any agency but the local authority itself (and not "none").
  static bool is_partner(const std::string& code) {
    return !code.empty() && code != kLocalAuthority;
  }

 private:
  std::set<std::string> codes_;
  std::map<std::string, std::string> alias_to_code_;  // normalised alias -> code
};

}  // namespace crp
