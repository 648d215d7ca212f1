// What the admin API shows of a challenge: where it stands (stage, phase,
// due dates, duties) and how it got there (history). Contact emails, the case
// system's names and anything free-text are left out on purpose: the API is
// for operations, and operators need no personal data to see drift.
#pragma once

#include <cstdint>
#include <string>

#include "adapter/calendar/time.h"
#include "adapter/engine/challenge.h"

namespace crp::admin {

// Open and past a deadline at `now`: a response, duty or process limit that
// the engine has marked overdue, or a response due date already gone by
// (an event clock may not have reached it yet).
bool is_overdue(const Challenge& c, Instant now);

// One challenge as a JSON object, for GET /v1/challenges/{id} and lists.
// A quarantined one also carries "quarantined": true and the reason.
std::string challenge_json(const Challenge& c, std::int32_t partition, Instant now,
                           const std::string* quarantine_reason = nullptr);

}  // namespace crp::admin
