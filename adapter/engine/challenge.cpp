#include "adapter/engine/challenge.h"

#include <array>
#include <string_view>
#include <utility>

namespace crp {
namespace {
constexpr std::array<std::pair<std::string_view, Phase>, 7> kPhases{{
    {"awaiting_response", Phase::awaiting_response},
    {"awaiting_approval", Phase::awaiting_approval},
    {"under_review", Phase::under_review},
    {"meeting_scheduled", Phase::meeting_scheduled},
    {"meeting_held", Phase::meeting_held},
    {"step_down_watch", Phase::step_down_watch},
    {"closed", Phase::closed},
}};
}  // namespace

const char* to_string(Phase p) {
  for (const auto& [name, phase] : kPhases) {
    if (phase == p) return name.data();
  }
  return "unknown";
}

std::optional<Phase> phase_from_string(const std::string& s) {
  for (const auto& [name, phase] : kPhases) {
    if (name == s) return phase;
  }
  return std::nullopt;
}

std::optional<Instant> Challenge::next_deadline() const {
  if (closed()) return std::nullopt;
  std::optional<Instant> next;
  auto consider = [&](std::optional<Instant> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  // The response timer runs until a response that counts arrives; the engine
  // clears due_at when it does.
  if (!response_overdue) consider(due_at);
  consider(response_remind_at);
  for (const auto& d : duties) {
    if (!d.done && !d.overdue && !d.superseded) {
      consider(d.due);
      consider(d.remind_at);
    }
  }
  if (!process_overdue) consider(process_due_at);
  consider(check_due_at);
  if (!decision_overdue) consider(decide_due_at);
  return next;
}

}  // namespace crp
