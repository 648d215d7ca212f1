// Reads any fact on crp.facts: a closed fact of version 1 or 2, or a stage
// fact. Everything is validated against schemas/outbound/fact.schema.json,
// whose bounds cover every integer (a count above 10000 or days above 40000 is
// refused, never wrapped), and the totals are checked against their parts.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "connectors/facts/challenge_fact.h"
#include "connectors/facts/stage_fact.h"

namespace crp::connectors::facts {

using Fact = std::variant<ChallengeFact, StageFact>;

// Why a record is not a fact: `kind` is a stable class for counting
// (not_json, schema, totals), `message` a JSON pointer and reason, never the value.
struct FactError {
  std::string kind;
  std::string message;
};

std::optional<Fact> read_fact(std::string_view value, FactError& error);

}  // namespace crp::connectors::facts
