// Watched plan state <-> its changelog record value: a compact binary record
// like a challenge's (docs/decisions/0033), tagged so neither is read as the
// other. Plans share the changelog with challenges under the key
// "watch:<plan_id>", so they are restored, compacted and fenced the same way.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adapter/engine/watch/watched_plan.h"

namespace crp {

inline constexpr std::string_view kPlanKeyPrefix = "watch:";

std::string encode_plan(const WatchedPlan& p);
// nullopt (with `error`) when the bytes are not a plan record this release reads.
std::optional<WatchedPlan> decode_plan(std::string_view bytes, std::string& error);

}  // namespace crp
