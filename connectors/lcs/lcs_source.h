// Source connector for Liquidlogic LCS form, alert and case-note events
// (schemas/inbound/lcs.schema.json; docs/connectors.md "LCS").
//
//   form.recorded          a stage's form ("CP Challenge Stage 2") recorded: raises
//                          the challenge, or escalates an open one to that stage
//   alert.sent             the alert of a stage form: the same, once
//   form.section_completed a section of the current stage's form: by the
//                          input's `sections` map, a response, the manager's
//                          approval, a meeting date confirmed, the meeting held,
//                          or the chair's decision (resolved / not resolved / withdrawn)
//   case_note.added        a case note whose note type is a stage label: starts
//                          that stage like a form, or at the current stage
//                          records its status (resolved / not resolved)
//
// Forms and notes whose type is no stage label may be case activity
// (conferences, core groups, visits, reports: lcs_activity.h).
//
// The challenge is the LCS workflow process ("lcs-<process_id>"), the case the
// child's LCS person id. Case-note text and names are never copied.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "connectors/lcs/lcs_activity.h"
#include "connectors/source.h"
#include "connectors/stage_mapping.h"

namespace crp::connectors::lcs {

class LcsSource final : public SourceConnector {
 public:
  // `options` is the input's config entry (`protocols`, `sections`; for activity
  // `activity_protocol`, `activity_forms`, `activity_notes`, `activity_sections`,
  // `conference_outcomes`).
  LcsSource(std::shared_ptr<const ProtocolSet> protocols, const rapidjson::Value& options,
            const std::string& config_file, const std::string& pointer);
  SourceResult map(const Record& record, const Engine& state) const override;
  bool reads_state() const override { return true; }

 private:
  SourceResult map_document(const rapidjson::Document& doc, Instant at, const Engine& state) const;
  StageLabels labels_;
  LcsActivity activity_;  // conference, core group, visit and plan records (issue 19)
  std::map<std::string, std::string> sections_;  // folded section name -> action
};

}  // namespace crp::connectors::lcs
