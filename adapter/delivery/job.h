// One logical delivery to one partner over one channel: a webhook to a
// partner agency, an email to GOV.UK Notify. Its id is stable: the same on
// every retry, after a crash, and after a redelivery, so a receiver can
// de-duplicate it.
#pragma once

#include <cstdint>
#include <string>

#include "adapter/calendar/time.h"

namespace crp::delivery {

struct Job {
  std::string partner_id;  // the configured partner (or channel instance) it goes to
  std::string webhook_id;  // stable delivery id ("msg_..." for webhooks, the reference for Notify)
  std::string challenge_id;  // ordering key: jobs with the same key go strictly in order
  std::uint64_t seq = 0;     // order within the key, for restoring pending jobs
  std::string body;          // what the channel sends, already shaped for the partner
  int attempt = 0;           // attempts made so far
  Instant created_at{};
  Instant next_attempt_at{};
  std::string last_error;  // status line or transport error of the last attempt, no body
};

// The key of a job's record on a pending topic: "<partner>/<id>".
inline std::string pending_key(const Job& j) {
  return j.partner_id + "/" + j.webhook_id;
}

}  // namespace crp::delivery
