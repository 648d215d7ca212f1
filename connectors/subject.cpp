#include "connectors/subject.h"

namespace crp::connectors {

const std::string* Subject::contact(const std::string& role) const {
  if (!contacts) return nullptr;
  auto it = contacts->find(role);
  return it == contacts->end() ? nullptr : &it->second;
}

Subject subject_of(const Challenge* c) {
  if (!c) return {};
  Subject s{c->team, c->locality, c->agency, &c->contact_emails, {}};
  s.standing = Standing{c->stage, c->track, c->outcome, c->closed()};
  return s;
}

Subject subject_of(const WatchedPlan* plan) {
  Subject s;
  if (plan) {
    s.team = plan->team;
    s.locality = plan->locality;
  }
  // A plan is watched, not at a stage: a note on it opens or updates a step.
  s.standing = Standing{};
  return s;
}

}  // namespace crp::connectors
