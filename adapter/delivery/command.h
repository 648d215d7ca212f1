// What the delivery engine asks its shell to do. The engine does no I/O; the
// shell (adapter/runtime/webhooks) carries each command out with Kafka and
// the channels, and reports attempts' outcomes back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adapter/delivery/job.h"

namespace crp::delivery {

// Where a job came from: a record of the input topic. The shell settles it
// (its offset may then be committed) once the job is delivered, pending
// durably or dead-lettered. `generation` lets the shell ignore an origin from
// before a partition was revoked.
struct Origin {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::uint64_t generation = 0;
};

// Identifies an attempt, so that an outcome arriving after its lane was
// revoked (or replaced) changes nothing.
struct Ticket {
  std::string partner_id;
  std::string challenge_id;
  std::uint64_t lane_id = 0;
  std::string job_id;
};

struct Command {
  enum class Kind {
    attempt,          // job (attempt already counted) on the partner's channel; report with ticket
    persist,          // put job on the pending topic (partition); then settle origin, if any
    tombstone,        // remove job's pending record (partition)
    dead_letter,      // job to the DLQ with reason/status; then settle origin, and
                      // tombstone its pending record (partition) when tombstone_after
    settle,           // origin is settled now
    disable_partner,  // announce partner_id disabled (status, reason) and record it durably
    enable_partner,   // remove the durable disabled record of partner_id
    note,             // something to log (which: `note`), job/partner for context
  };
  enum class Note {
    none,
    retry_scheduled,          // job.last_error, job.next_attempt_at
    delivered_after_retries,  // job.attempt
    circuit_opened,           // the partner's breaker opened (warning)
    quota_hold,               // the partner's quota: every job held until job.next_attempt_at
    unknown_partner,          // a job for a partner not configured: dropped
    orphan_pending,           // a pending job for a partner no longer configured: left pending
  };
  Kind kind = Kind::note;
  std::string partner_id;
  Job job;
  std::int32_t partition = -1;
  std::optional<Origin> origin;
  Ticket ticket;
  std::string reason;
  int status = 0;
  bool tombstone_after = false;
  Note note = Note::none;
};

using Commands = std::vector<Command>;

}  // namespace crp::delivery
