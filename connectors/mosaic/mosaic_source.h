// Source connector for Mosaic workflow-step and form events
// (schemas/inbound/mosaic.schema.json; docs/connectors.md "Mosaic").
//
//   form.completed       in a step whose type is a stage label ("Formal
//                        Resolution Stage 1"): a record form ("Informal
//                        Resolution form", "Formal Resolution form") raises the
//                        challenge or escalates it to the step's stage; a
//                        response form is the stage's response; an approval
//                        form is the manager's approval (Walsall: "with Group
//                        Manager approval"), by the completing worker's role
//   step.status_changed  Completed with next actions: a later stage's step
//                        escalates (the chair did not accept the response), a
//                        close action resolves or withdraws; Incoming and In
//                        progress change nothing; Reopened on a closed
//                        resolution is refused
//
// Steps and forms that are not a stage's may be case activity (conferences,
// core groups, visits, reports: mosaic_activity.h).
//
// The challenge is the resolution workflow ("mosaic-<workflow_id>"), the case
// the child's Mosaic person id. Names and free text are never copied.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "connectors/mosaic/mosaic_activity.h"
#include "connectors/source.h"
#include "connectors/stage_mapping.h"

namespace crp::connectors::mosaic {

class MosaicSource final : public SourceConnector {
 public:
  // `options` is the input's config entry (`protocols`, `record_forms`,
  // `response_forms`, `approval_forms`, `close_actions`; for activity
  // `activity_protocol`, `activity_steps`, `activity_forms`, `conference_outcomes`).
  MosaicSource(std::shared_ptr<const ProtocolSet> protocols, const rapidjson::Value& options,
               const std::string& config_file, const std::string& pointer);
  SourceResult map(const Record& record, const Engine& state) const override;
  bool reads_state() const override { return true; }

 private:
  SourceResult map_document(const rapidjson::Document& doc, Instant at, const Engine& state) const;
  SourceResult step_completed(const rapidjson::Value& step, InboundEvent e, const StageRef& ref,
                              const Engine& state) const;

  StageLabels labels_;
  MosaicActivity activity_;  // steps and forms of the child's CP workflow (issue 19)
  std::set<std::string> record_forms_, response_forms_, approval_forms_;  // folded form types
  std::map<std::string, std::string> close_actions_;  // folded next action -> outcome
};

}  // namespace crp::connectors::mosaic
