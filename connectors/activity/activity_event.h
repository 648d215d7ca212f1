// A case-activity event (conference scheduled/held/cancelled, report shared,
// consultation form, interpreter booked, core group held, child seen, plan
// ended, suggestion dismissed) as a case-system connector read it, before it
// becomes canonical. The LCS, Mosaic and Debezium connectors all hand it to
// the engine through the canonical format (schemas/inbound/canonical.schema.json),
// so the canonical schema is the one contract between mapping and watch rules.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <variant>

#include "adapter/calendar/time.h"
#include "connectors/source.h"

namespace crp::connectors::activity {

struct ActivityEvent {
  std::string type;  // a canonical case-activity type, e.g. "conference.scheduled"
  std::string event_id;
  Instant occurred_at{};
  std::string plan_id;
  std::string case_id;
  std::string protocol;
  std::string conference_id;
  std::string conference_kind;  // initial | review
  std::optional<Instant> conference_at;
  std::optional<bool> interpreter_needed;
  std::string plan_outcome;  // cp_plan | no_plan | step_down_cin | plan_ended
  std::string finding_id;
  std::string team;
  std::string locality;
  std::string source_system;
};

// The canonical document of `e` (empty fields are left out).
rapidjson::Document to_canonical(const ActivityEvent& e);

// What a connector returns for `e`: the engine's reading of its canonical
// document. Dead-lettered (crp.MappingError, naming `system`) when the canonical
// schema refuses it or this engine does not know the activity type, so a type
// is never read as another.
SourceResult to_source_result(const ActivityEvent& e, const std::string& system);

// What a case-system record says as case activity: an event, or a drop or a
// dead letter.
using Mapped = std::variant<ActivityEvent, SourceResult>;
SourceResult to_source_result(Mapped m, const std::string& system);

// The check to_source_result makes, for connectors that build the canonical
// document themselves (Debezium): nullopt when `parsed` is the type `type` names.
std::optional<std::string> type_not_understood(const std::string& type, const InboundEvent& parsed);

}  // namespace crp::connectors::activity
