// What the email and case-note sinks read of whom an effect is about, beyond
// the effect's own ids (challenge or plan id, case id, protocol, source
// system): a narrow view of the challenge after the effect, or of a watched
// plan. Views into the engine's state, valid while the router writes the
// effect's records.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "adapter/engine/challenge.h"
#include "adapter/engine/watch/watched_plan.h"

namespace crp::connectors {

// Where a challenge stands after the effect: a case system's step for a note
// is completed when the challenge has moved on or closed.
struct Standing {
  std::string_view stage;  // empty: not at a stage (a watched plan; a step-down watch)
  std::string_view track;
  std::string_view outcome;  // resolved | withdrawn | exhausted, once closed
  bool closed = false;
};

struct Subject {
  // The role directory picks mailboxes by team, then locality.
  std::string_view team;
  std::string_view locality;
  std::string_view agency;  // the partner agency recorded on the challenge
  // Role -> address given on the challenge's events (nullptr: none).
  const std::map<std::string, std::string>* contacts = nullptr;
  std::optional<Standing> standing;  // nullopt: the challenge is unknown

  // The address given for a role on the subject's events, if any.
  const std::string* contact(const std::string& role) const;
};

// The subject of a challenge's effect; `challenge` null when unknown (then
// the directory's defaults apply and no step is known).
Subject subject_of(const Challenge* challenge);

// The subject of a watched plan's effect: its team and locality (nothing
// when the plan is unknown), no contacts, at no stage.
Subject subject_of(const WatchedPlan* plan);

}  // namespace crp::connectors
