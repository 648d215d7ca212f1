// Where a challenge restored from the changelog runs under the protocols now
// loaded: under its own version, moved to a newer one by the migration that
// version declares, or quarantined when neither is possible (its protocol,
// version, stage or route is gone). Pure, so `check-config --changelog` asks
// the same question of a configuration before it is deployed
// (docs/decisions/0061).
#pragma once

#include <string>
#include <vector>

#include "adapter/engine/challenge.h"
#include "adapter/engine/protocol_set.h"

namespace crp {

struct Placement {
  enum class Kind { runs, migrated, quarantined };
  Kind kind = Kind::runs;
  int version = 0;     // runs, migrated: the version it runs under
  std::string stage;   // migrated: its stage there (empty: none, as before)
  std::string reason;  // quarantined: why, naming only protocol, version and stage ids
};

const char* to_string(Placement::Kind kind);

Placement place(const ProtocolSet& protocols, const Challenge& c);

// Moves `c` as `p` (Kind::migrated) says: its version, its stage and the
// stage of the duties it is waiting on. Deadlines already counted stay as
// they are: the people waiting were told them.
void migrate(Challenge& c, const Placement& p);

}  // namespace crp
