#include "connectors/lcs/lcs_activity.h"

#include "connectors/stage_mapping.h"

namespace crp::connectors::lcs {
namespace {

using activity::ActivityEvent;
using activity::flag;
using activity::Mapped;

const rapidjson::Value* answers_of(const rapidjson::Document& doc) {
  const rapidjson::Value* form = obj(doc, "form");
  return form ? obj(*form, "answers") : nullptr;
}

}  // namespace

LcsActivity::LcsActivity(const ProtocolSet& protocols, const rapidjson::Value& options,
                         const std::string& config_file, const std::string& pointer)
    : ActivityMapper("lcs", protocols, options, config_file, pointer),
      forms_(options, "activity_forms",
             {{"Initial Child Protection Conference", "initial_conference"},
              {"Review Child Protection Conference", "review_conference"},
              {"Social Work Report to Conference", "report"},
              {"Child Protection Consultation Form", "consultation_form"},
              {"Interpreter Request", "interpreter_booking"},
              {"Core Group Meeting", "core_group"},
              {"Child Protection Visit", "visit"},
              {"Statutory Visit", "visit"},
              {"End of Child Protection Plan", "plan_end"},
              {"Drift Watch Suggestion Response", "suggestion_response"}},
             {"initial_conference", "review_conference", "report", "consultation_form",
              "interpreter_booking", "core_group", "visit", "plan_end", "suggestion_response"},
             config_file, pointer),
      notes_(options, "activity_notes",
             {{"Core Group Meeting", "core_group"},
              {"Child Protection Visit", "visit"},
              {"Statutory Visit", "visit"}},
             {"core_group", "visit"}, config_file, pointer),
      sections_(options, "activity_sections",
                {{"Conference Arrangements", "scheduled"},
                 {"Conference Outcome", "held"},
                 {"Conference Cancelled", "cancelled"},
                 {"Report Shared", "shared"}},
                {"scheduled", "held", "cancelled", "shared"}, config_file, pointer),
      outcomes_(options, "conference_outcomes",
                {{"Child Protection Plan", "cp_plan"},
                 {"Continue Child Protection Plan", "cp_plan"},
                 {"No Child Protection Plan", "no_plan"},
                 {"Step down to Child in Need", "step_down_cin"},
                 {"End Child Protection Plan", "plan_ended"}},
                activity::kPlanOutcomes, config_file, pointer) {}

std::optional<Mapped> LcsActivity::map(const rapidjson::Document& doc, Instant at) const {
  const std::string type = str(doc, "event_type");
  if (type == "alert.sent") return std::nullopt;  // the alert of a form: the form says it
  const bool note = type == "case_note.added";
  const rapidjson::Value* holder = obj(doc, note ? "case_note" : "form");
  if (!holder) return std::nullopt;
  const std::string& kind =
      note ? notes_.find(str(*holder, "note_type")) : forms_.find(str(*holder, "form_type"));
  if (kind.empty()) return std::nullopt;
  Mapped started = start(doc, at, note ? "/case_note/note_type" : "/form/form_type");
  auto* e = std::get_if<ActivityEvent>(&started);
  if (!e) return started;
  const std::string plan = str(doc, "plan_id");
  e->plan_id = plan.empty() ? e->case_id : "lcs-" + plan;  // no plan id: the child's case
  if (note) {
    if (kind == "visit")
      return visit(holder, "/case_note/child_seen", "visit record", std::move(*e));
    e->type = "core_group.held";
    return started;
  }
  return form_event(doc, kind, std::move(*e));
}

Mapped LcsActivity::form_event(const rapidjson::Document& doc, const std::string& kind,
                               ActivityEvent e) const {
  const bool recorded = str(doc, "event_type") == "form.recorded";
  const rapidjson::Value* answers = answers_of(doc);
  if (kind == "visit") {
    if (!recorded) return SourceResult::drop();  // the form's recording says it
    return visit(answers, "/form/answers/child_seen", "visit record", std::move(e));
  }
  if (kind == "core_group" || kind == "plan_end") {
    if (!recorded) return SourceResult::drop();
    e.type = kind == "core_group" ? "core_group.held" : "plan.ended";
    return e;
  }
  if (kind == "suggestion_response") {
    if (!recorded) return SourceResult::drop();
    return suggestion_response(answers, std::move(e));
  }
  // The conference's own forms, recorded in its workflow step.
  const rapidjson::Value* workflow = obj(doc, "workflow");
  const std::string step = workflow ? str(*workflow, "step_id") : "";
  if (step.empty()) {
    return fail("/workflow/step_id",
                "required for a conference's forms: the conference is its LCS workflow step");
  }
  e.conference_id = "lcs-" + step;
  if (kind == "initial_conference" || kind == "review_conference")
    return conference(doc, kind, std::move(e));
  if (kind == "report") {
    if (recorded || sections_.find(str(doc["form"], "section")) != "shared")
      return SourceResult::drop();  // written, not yet shared
    e.type = "report.shared";
    return e;
  }
  if (!recorded) return SourceResult::drop();
  e.type = kind == "consultation_form" ? "consultation_form.completed" : "interpreter.booked";
  return e;
}

Mapped LcsActivity::conference(const rapidjson::Document& doc, const std::string& kind,
                               ActivityEvent e) const {
  const rapidjson::Value* answers = answers_of(doc);
  const std::string meaning = str(doc, "event_type") == "form.recorded"
                                  ? std::string("scheduled")
                                  : sections_.find(str(doc["form"], "section"));
  if (meaning == "cancelled") {
    e.type = "conference.cancelled";
    return e;
  }
  e.conference_kind = kind == "initial_conference" ? "initial" : "review";
  if (answers && answers->HasMember("conference_date")) {
    e.conference_at = parse_iso8601(str(*answers, "conference_date"));
    if (!e.conference_at)
      return fail("/form/answers/conference_date", "not a valid ISO 8601 instant");
  }
  if (meaning == "scheduled") {
    if (!e.conference_at) {
      if (str(doc, "event_type") == "form.recorded") return SourceResult::drop();  // no date yet
      return fail("/form/answers/conference_date", "required to arrange a conference");
    }
    e.type = "conference.scheduled";
    e.interpreter_needed = flag(answers, "interpreter_required");
    return e;
  }
  if (meaning == "held") {
    const std::string label = answers ? str(*answers, "conference_outcome") : "";
    const std::string& outcome = outcomes_.find(label);
    if (outcome.empty()) {
      return fail("/form/answers/conference_outcome",
                  "a held conference needs its decision, one of the input's conference_outcomes");
    }
    e.type = "conference.held";
    e.plan_outcome = outcome;
    return e;
  }
  return SourceResult::drop();  // another section of the conference form
}

}  // namespace crp::connectors::lcs
