// Case activity from Mosaic (issue 19): the steps and forms of a child's CP
// workflow, as the drift watchdog's canonical activity events
// (docs/connectors.md "Mosaic case activity").
//
//   step.status_changed  a conference step ("Initial/Review Child Protection
//                        Conference") with its schedule: Incoming or In
//                        progress is conference.scheduled (the schedule's start,
//                        interpreter flag), a Cancelled schedule
//                        conference.cancelled, Completed conference.held with
//                        the decision its next action names; a "Core Group
//                        Meeting" step Completed is core_group.held, a "Child
//                        Seen" step child.seen, an "End Child Protection Plan"
//                        step plan.ended
//   form.completed       in a conference step: "Social Work Report to
//                        Conference" shared (report.shared), "CP Consultation
//                        Form", "Interpreter Booking"; anywhere: a "Statutory
//                        Visit" where the child was seen (child.seen), a "Drift
//                        Watch Suggestion Response" dismissing a finding
//
// Which labels mean what is the input's `activity_steps`, `activity_forms` and
// `conference_outcomes` (defaults above). The plan is the workflow
// ("mosaic-<workflow_id>"), a conference its step ("mosaic-<step_id>"). Names and
// free text are never read.
#pragma once

#include <optional>
#include <string>

#include "adapter/engine/protocol_set.h"
#include "connectors/activity/activity_event.h"
#include "connectors/activity/activity_labels.h"
#include "connectors/activity/activity_mapper.h"
#include "connectors/source.h"

namespace crp::connectors::mosaic {

class MosaicActivity : activity::ActivityMapper {
 public:
  MosaicActivity(const ProtocolSet& protocols, const rapidjson::Value& options,
                 const std::string& config_file, const std::string& pointer);

  // What a validated Mosaic record says as case activity: an activity event,
  // a drop or a dead letter (a SourceResult); nullopt when its step and form
  // are not activity labels at all (the caller drops it).
  using Mapped = activity::Mapped;
  std::optional<Mapped> map(const rapidjson::Document& doc, Instant at) const;

 private:
  Mapped step_changed(const rapidjson::Document& doc, const std::string& kind,
                      activity::ActivityEvent e) const;
  Mapped form_completed(const rapidjson::Document& doc, const std::string& step_kind,
                        const std::string& form_kind, activity::ActivityEvent e) const;

  activity::LabelTable steps_, forms_, outcomes_;
};

}  // namespace crp::connectors::mosaic
