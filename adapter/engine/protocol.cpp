#include "adapter/engine/protocol.h"

#include <algorithm>

namespace crp {

const std::string& Stage::label_for(const std::string& track) const {
  auto it = labels_by_track.find(track);
  return it == labels_by_track.end() ? label : it->second;
}

const Stage* Protocol::stage(const std::string& id) const {
  for (const auto& s : stages) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

int Protocol::stage_index(const std::string& id) const {
  for (std::size_t i = 0; i < stages.size(); ++i) {
    if (stages[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

const std::string& Protocol::role_title(const std::string& role) const {
  auto it = roles.find(role);
  return it == roles.end() ? role : it->second;
}

bool Protocol::has_track(const std::string& track) const {
  return std::find(tracks.begin(), tracks.end(), track) != tracks.end();
}

bool Protocol::may_start_at(const std::string& s, bool immediate_risk) const {
  const auto& allowed = immediate_risk && !immediate_risk_start_stages.empty()
                            ? immediate_risk_start_stages
                            : start_stages;
  return std::find(allowed.begin(), allowed.end(), s) != allowed.end();
}

const Route* Protocol::route(const std::string& id) const {
  for (const auto& r : routes) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

bool Protocol::is_later_on_route(const std::string& from, const std::string& to) const {
  // The loader guarantees `next` chains are acyclic, so this walk terminates.
  const Stage* s = stage(from);
  while (s && !s->next.empty()) {
    if (s->next == to) return true;
    s = stage(s->next);
  }
  return false;
}

bool PartnerAgencyRule::is_agency_role(const std::string& role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

}  // namespace crp
