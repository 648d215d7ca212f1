// The skeleton the LCS and Mosaic case-activity mappers share
// (connectors/lcs/lcs_activity.h, connectors/mosaic/mosaic_activity.h): the
// protocol their records belong to, the event every record starts as, and
// the two activities both systems record the same way (a visit where the
// child was seen, a response dismissing a drift-watch suggestion). Each
// system's own labels and record shapes stay with its connector.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>

#include "adapter/calendar/time.h"
#include "adapter/engine/protocol_set.h"
#include "connectors/activity/activity_event.h"

namespace crp::connectors::activity {

// A boolean member of `o` (null: none), if it is there.
std::optional<bool> flag(const rapidjson::Value* o, const char* key);

class ActivityMapper {
 protected:
  // `system` is the case system's name ("lcs", "mosaic"): the events' source
  // system, their event-id prefix and the name in their dead letters.
  ActivityMapper(std::string system, const ProtocolSet& protocols, const rapidjson::Value& options,
                 const std::string& config_file, const std::string& pointer);

  // A dead letter (crp.MappingError) naming the field at `pointer` and the rule.
  Mapped fail(const std::string& pointer, const std::string& rule) const;

  // The event a record of an activity label starts as: its event id, time,
  // child (person_id), protocol, and allocated team and locality; the caller
  // adds the plan and what happened. A dead letter naming the label at
  // `label_at` when the input serves several protocols and names none.
  Mapped start(const rapidjson::Document& doc, Instant at, const char* label_at) const;

  // A visit: child.seen when `holder`'s child_seen says the child was seen, a
  // drop when not; a dead letter naming `pointer` ("required in a <what>")
  // without it.
  Mapped visit(const rapidjson::Value* holder, const char* pointer, const char* what,
               ActivityEvent e) const;

  // A drift-watch suggestion response: watch.suggestion_dismissed, or a drop
  // when the suggestion was taken up (the challenge raised says so); a dead
  // letter without the finding it is about.
  Mapped suggestion_response(const rapidjson::Value* answers, ActivityEvent e) const;

  const std::string system_;
  const std::string protocol_;  // empty: the input serves several and names no activity_protocol
};

}  // namespace crp::connectors::activity
