// `crp-adapter check-config --changelog`: what a configuration would do to the
// challenges open now, before it is deployed. Reads the whole changelog (the
// config's brokers and topic), restores it into engines under the checked
// configuration, and lists every open challenge that would move to a newer
// protocol version or be quarantined (docs/decisions/0061).
#pragma once

#include <iosfwd>

#include "adapter/runtime/service_config.h"

namespace crp::cli {

struct ChangelogImpact {
  int open = 0;         // open challenges in the changelog
  int runs = 0;         // under their own version, as before
  int migrated = 0;     // to a newer version, by its migration
  int quarantined = 0;  // with no place in the configuration
  // Of those that run or move: under a version whose file was edited in place
  // since the changelog recorded it (a warning: give a revision a new version).
  int changed_in_place = 0;
};

// Prints one line per affected challenge and a summary on `out`.
ChangelogImpact changelog_impact(const ServiceConfig& config, std::ostream& out);

}  // namespace crp::cli
