// The protocols a service runs, each with the working calendar it uses. Several
// versions of one protocol may be loaded: new challenges take the newest, and a
// challenge keeps the version it started under (docs/decisions/0061).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "adapter/calendar/working_calendar.h"
#include "adapter/engine/protocol.h"

namespace crp {

struct ProtocolRuntime {
  Protocol protocol;
  std::shared_ptr<const WorkingCalendar> calendar;

  Instant due(Instant start, Deadline d) const {
    return calendar->due_instant(start, d, protocol.working_day_end);
  }
};

class ProtocolSet {
 public:
  // Replaces a protocol of the same id and version.
  void add(Protocol p, std::shared_ptr<const WorkingCalendar> calendar) {
    ProtocolRuntime rt{std::move(p), std::move(calendar)};
    const std::string id = rt.protocol.id;
    auto newest = newest_.find(id);
    if (newest == newest_.end()) {
      newest_.emplace(id, std::move(rt));
    } else if (rt.protocol.version == newest->second.protocol.version) {
      newest->second = std::move(rt);
    } else if (rt.protocol.version > newest->second.protocol.version) {
      const int was = newest->second.protocol.version;
      older_.insert_or_assign({id, was}, std::move(newest->second));
      newest->second = std::move(rt);
    } else {
      const int version = rt.protocol.version;
      older_.insert_or_assign({id, version}, std::move(rt));
    }
  }
  // The newest version of `id`: what a new challenge starts under.
  const ProtocolRuntime* find(const std::string& id) const {
    auto it = newest_.find(id);
    return it == newest_.end() ? nullptr : &it->second;
  }
  const ProtocolRuntime* find(const std::string& id, int version) const {
    const ProtocolRuntime* newest = find(id);
    if (newest && newest->protocol.version == version) return newest;
    auto it = older_.find({id, version});
    return it == older_.end() ? nullptr : &it->second;
  }
  // The newest version of each protocol, by id.
  const std::map<std::string, ProtocolRuntime>& all() const { return newest_; }
  // Every loaded version, newest ones included.
  template <typename F>
  void for_each_version(F&& f) const {
    for (const auto& [key, rt] : older_) f(rt);
    for (const auto& [id, rt] : newest_) f(rt);
  }

 private:
  std::map<std::string, ProtocolRuntime> newest_;
  std::map<std::pair<std::string, int>, ProtocolRuntime> older_;  // (id, version)
};

}  // namespace crp
