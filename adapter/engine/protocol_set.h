// The protocols a service runs, each with the working calendar it uses.
#pragma once

#include <map>
#include <memory>
#include <string>

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
  void add(Protocol p, std::shared_ptr<const WorkingCalendar> calendar) {
    std::string id = p.id;
    by_id_.insert_or_assign(id, ProtocolRuntime{std::move(p), std::move(calendar)});
  }
  const ProtocolRuntime* find(const std::string& id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &it->second;
  }
  const std::map<std::string, ProtocolRuntime>& all() const { return by_id_; }

 private:
  std::map<std::string, ProtocolRuntime> by_id_;
};

}  // namespace crp
