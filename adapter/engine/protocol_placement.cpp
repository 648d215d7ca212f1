#include "adapter/engine/protocol_placement.h"

#include <string>

namespace crp {
namespace {

// The newest loaded version of `id` that declares a migration from `version`.
const ProtocolRuntime* migration_target(const ProtocolSet& protocols, const std::string& id,
                                        int version, const Migration** migration) {
  const ProtocolRuntime* best = nullptr;
  protocols.for_each_version([&](const ProtocolRuntime& rt) {
    if (rt.protocol.id != id || rt.protocol.version <= version) return;
    if (best && best->protocol.version > rt.protocol.version) return;
    for (const Migration& m : rt.protocol.migrations) {
      if (m.from_version != version) continue;
      best = &rt;
      *migration = &m;
    }
  });
  return best;
}

std::string where(const std::string& id, int version) {
  return "protocol " + id + " version " + std::to_string(version);
}

Placement quarantined(std::string reason) {
  return Placement{Placement::Kind::quarantined, 0, {}, std::move(reason)};
}

}  // namespace

const char* to_string(Placement::Kind kind) {
  switch (kind) {
    case Placement::Kind::runs:
      return "runs";
    case Placement::Kind::migrated:
      return "migrated";
    case Placement::Kind::quarantined:
      return "quarantined";
  }
  return "?";
}

Placement place(const ProtocolSet& protocols, const Challenge& c) {
  const ProtocolRuntime* newest = protocols.find(c.protocol);
  if (!newest) return quarantined("protocol " + c.protocol + " is not loaded");
  // A closed challenge is kept only to answer late events: it stays as it was.
  if (c.closed()) return Placement{Placement::Kind::runs, c.protocol_version, c.stage, {}};
  int version = c.protocol_version;
  std::string stage = c.stage;
  // Each step follows the newest migration declared from the version reached so far;
  // under the newest version (every challenge, until a revision) there is none to look for.
  while (version < newest->protocol.version) {
    const Migration* m = nullptr;
    const ProtocolRuntime* next = migration_target(protocols, c.protocol, version, &m);
    if (!next) break;
    if (!stage.empty()) {
      auto mapped = m->stages.find(stage);
      const std::string to = mapped != m->stages.end() ? mapped->second : stage;
      if (!next->protocol.stage(to)) {
        return quarantined("stage " + stage + " of " + where(c.protocol, version) +
                           " has no place in version " + std::to_string(next->protocol.version) +
                           " (its migration neither maps it nor keeps a stage of that id)");
      }
      stage = to;
    }
    version = next->protocol.version;
  }
  const ProtocolRuntime* rt = protocols.find(c.protocol, version);
  if (!rt) {
    return quarantined(where(c.protocol, version) +
                       " is not loaded, and no loaded version declares a migration from it");
  }
  if (!stage.empty() && !rt->protocol.stage(stage))
    return quarantined("stage " + stage + " is not in " + where(c.protocol, version));
  if (!c.route.empty() && !rt->protocol.route(c.route))
    return quarantined("route " + c.route + " is not in " + where(c.protocol, version));
  if (version == c.protocol_version) return Placement{Placement::Kind::runs, version, stage, {}};
  return Placement{Placement::Kind::migrated, version, stage, {}};
}

void migrate(Challenge& c, const Placement& p) {
  for (DutyState& d : c.duties) {
    if (d.stage == c.stage && !d.superseded) d.stage = p.stage;
  }
  c.stage = p.stage;
  c.protocol_version = p.version;
}

}  // namespace crp
