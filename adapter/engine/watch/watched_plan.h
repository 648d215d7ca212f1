// The durable state of one watched plan: its conferences, the activity the
// watch rules look for, and the findings suggested so far. Like a challenge's,
// a timer is a due field that has not yet been checked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adapter/calendar/time.h"

namespace crp {

enum class ConferenceStatus : std::uint8_t { scheduled, held, cancelled };

struct WatchedConference {
  std::string id;
  std::string kind;  // "initial" | "review"
  Instant at{};      // when it starts
  ConferenceStatus status = ConferenceStatus::scheduled;
  bool interpreter_needed = false;
  // Activities recorded for this conference: canonical type -> when.
  std::vector<std::pair<std::string, Instant>> done;
  // before_conference rules still to be checked, each at its due instant
  // (computed when the conference is scheduled or moved).
  std::vector<std::pair<std::string, Instant>> checks;
  std::optional<Instant> summary_due;  // the pre-conference summary, until sent

  const Instant* done_at(const std::string& activity) const {
    for (const auto& [a, t] : done) {
      if (a == activity) return &t;
    }
    return nullptr;
  }
};

enum class FindingStatus : std::uint8_t { open, dismissed, taken_up };

struct Finding {
  std::string id;  // "<plan_id>/<rule>/<n>": stable, so a person can name it
  std::string rule;
  std::string conference_id;  // empty: about the plan
  Instant due{};
  std::optional<Instant> actual;  // the last activity before the breach, if any
  Instant found_at{};
  FindingStatus status = FindingStatus::open;
  std::string challenge_id;  // taken up by
};

// A recurring rule's clock: the last time its activity happened and when the
// next one is due.
struct RecurringClock {
  std::string rule;
  std::optional<Instant> last;
  Instant due{};
};

struct WatchedPlan {
  std::string id;
  std::string case_id;
  std::string protocol;
  std::string team;
  std::string locality;
  std::string source_system = "canonical";
  std::optional<Instant> started_at;  // the initial conference that made the plan
  std::vector<WatchedConference> conferences;
  std::vector<RecurringClock> clocks;
  std::vector<Finding> findings;
  Instant last_event_at{};
  std::uint64_t seq = 0;  // outputs emitted so far; gives stable output ids
  // Each applied event as 64-bit digests of its id and of its content
  // (event_fingerprint): a redelivery is ignored, a reused id with other
  // content refused. 16 bytes each, as a plan lives for years.
  struct Seen {
    std::uint64_t id = 0;
    std::uint64_t content = 0;
    bool operator==(const Seen&) const = default;
  };
  std::vector<Seen> seen_events;

  // The earliest instant at which something must be checked: the plan's one timer.
  std::optional<Instant> next_check() const;
};

}  // namespace crp
