#include "connectors/mosaic/mosaic_activity.h"

#include "connectors/stage_mapping.h"

namespace crp::connectors::mosaic {
namespace {

using activity::ActivityEvent;
using activity::flag;
using Mapped = MosaicActivity::Mapped;

bool is_conference(const std::string& kind) {
  return kind == "initial_conference" || kind == "review_conference";
}

}  // namespace

MosaicActivity::MosaicActivity(const ProtocolSet& protocols, const rapidjson::Value& options,
                               const std::string& config_file, const std::string& pointer)
    : ActivityMapper("mosaic", protocols, options, config_file, pointer),
      steps_(options, "activity_steps",
             {{"Initial Child Protection Conference", "initial_conference"},
              {"Review Child Protection Conference", "review_conference"},
              {"Core Group Meeting", "core_group"},
              {"Child Seen", "child_seen"},
              {"End Child Protection Plan", "plan_end"}},
             {"initial_conference", "review_conference", "core_group", "child_seen", "plan_end"},
             config_file, pointer),
      forms_(options, "activity_forms",
             {{"Social Work Report to Conference", "report"},
              {"CP Consultation Form", "consultation_form"},
              {"Interpreter Booking", "interpreter_booking"},
              {"Statutory Visit", "visit"},
              {"Drift Watch Suggestion Response", "suggestion_response"}},
             {"report", "consultation_form", "interpreter_booking", "visit", "suggestion_response"},
             config_file, pointer),
      // A conference step's next actions: what the conference decided.
      outcomes_(options, "conference_outcomes",
                {{"Child Protection Plan", "cp_plan"},
                 {"Review Child Protection Conference", "cp_plan"},
                 {"Core Group Meeting", "cp_plan"},
                 {"Child in Need Plan", "step_down_cin"},
                 {"No Further Action", "no_plan"},
                 {"End Child Protection Plan", "plan_ended"}},
                activity::kPlanOutcomes, config_file, pointer) {}

std::optional<Mapped> MosaicActivity::map(const rapidjson::Document& doc, Instant at) const {
  const rapidjson::Value& step = doc["step"];
  const std::string& step_kind = steps_.find(str(step, "step_type"));
  const rapidjson::Value* form = obj(doc, "form");
  const bool form_event = str(doc, "event_type") == "form.completed";
  const std::string& form_kind = form_event && form ? forms_.find(str(*form, "form_type")) : "";
  if (step_kind.empty() && form_kind.empty()) return std::nullopt;

  Mapped started = start(doc, at, "/step/step_type");
  auto* e = std::get_if<ActivityEvent>(&started);
  if (!e) return started;
  e->plan_id = "mosaic-" + str(doc, "workflow_id");
  if (form_event) {
    if (!form) return fail("/form", "required for form.completed");
    if (form_kind.empty()) return Mapped(SourceResult::drop());  // another form in the step
    return form_completed(doc, step_kind, form_kind, std::move(*e));
  }
  return step_changed(doc, step_kind, std::move(*e));
}

Mapped MosaicActivity::step_changed(const rapidjson::Document& doc, const std::string& kind,
                                    ActivityEvent e) const {
  const rapidjson::Value& step = doc["step"];
  const std::string status = str(step, "status");
  if (!is_conference(kind)) {
    if (status != "Completed") return SourceResult::drop();  // the step is under way
    e.type = kind == "core_group"   ? "core_group.held"
             : kind == "child_seen" ? "child.seen"
                                    : "plan.ended";
    return e;
  }
  e.conference_id = "mosaic-" + str(step, "step_id");
  e.conference_kind = kind == "initial_conference" ? "initial" : "review";
  const rapidjson::Value* schedule = obj(doc, "schedule");
  if (schedule) {
    e.conference_at = parse_iso8601(str(*schedule, "start"));
    if (!e.conference_at) return fail("/schedule/start", "not a valid ISO 8601 instant");
  }
  if (schedule && str(*schedule, "status") == "Cancelled") {
    e.type = "conference.cancelled";
    e.conference_kind.clear(), e.conference_at.reset();
    return e;
  }
  if (status == "Completed") {
    if (step.HasMember("next_actions")) {
      for (const auto& a : step["next_actions"].GetArray()) {
        if (const std::string& outcome = outcomes_.find(str(a, "action")); !outcome.empty()) {
          e.type = "conference.held";
          e.plan_outcome = outcome;
          return e;
        }
      }
    }
    return fail("/step/next_actions",
                "a held conference needs its decision: a next action that is one of the input's "
                "conference_outcomes");
  }
  if (status == "Reopened") return SourceResult::drop();
  // Incoming or In progress: the conference is arranged once its schedule says when.
  if (!schedule) return SourceResult::drop();
  e.type = "conference.scheduled";
  if (schedule->HasMember("interpreter_required"))
    e.interpreter_needed = (*schedule)["interpreter_required"].GetBool();
  return e;
}

Mapped MosaicActivity::form_completed(const rapidjson::Document& doc, const std::string& step_kind,
                                      const std::string& form_kind, ActivityEvent e) const {
  const rapidjson::Value& form = doc["form"];
  const rapidjson::Value* answers = obj(form, "answers");
  if (form_kind == "visit")
    return visit(answers, "/form/answers/child_seen", "visit form", std::move(e));
  if (form_kind == "suggestion_response") return suggestion_response(answers, std::move(e));
  // A conference's own forms: completed in its step.
  if (!is_conference(step_kind)) {
    return fail("/step/step_type", "a " + form_kind +
                                       " form is completed in a conference's step (an "
                                       "activity_steps entry initial_conference or "
                                       "review_conference)");
  }
  e.conference_id = "mosaic-" + str(doc["step"], "step_id");
  if (form_kind == "report") {
    const std::optional<bool> shared = flag(answers, "report_shared");
    if (!shared) return fail("/form/answers/report_shared", "required in a conference report");
    if (!*shared) return SourceResult::drop();  // written, not yet shared
    e.type = "report.shared";
  } else if (form_kind == "consultation_form") {
    e.type = "consultation_form.completed";
  } else {
    e.type = "interpreter.booked";
  }
  return e;
}

}  // namespace crp::connectors::mosaic
