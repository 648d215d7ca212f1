// The checks every event meets before it may touch a challenge (Engine) or a
// watched plan (Watch), in one order for both: its protocol is loaded, its
// dates are within the service years, and against what the challenge or plan
// already holds: a repeated event id (a redelivery is ignored, other content
// is a conflict), the same protocol, not older than the last event. A refused
// event becomes one DlqDecision and changes nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adapter/engine/effect.h"
#include "adapter/engine/inbound_event.h"
#include "adapter/engine/protocol_set.h"

namespace crp {

struct Refusal {
  std::string error_class;
  std::string message;
};

// What a challenge's or plan's seen events say of an event id.
enum class SeenBefore { no, same_content, other_content };

class Admission {
 public:
  enum class Subject { challenge, plan };
  Admission(const InboundEvent& e, Instant now, Effects& out, Subject subject)
      : e_(e), now_(now), out_(out), subject_(subject) {}

  // Emits the event's DlqDecision.
  void refuse(Refusal r) const;

  // The event's protocol, or nullptr after refusing the event (`message`
  // says so) when it is not loaded; then whether every date of the event
  // (occurred_at and `other`) is in the service years, refusing it if not.
  const ProtocolRuntime* protocol(const ProtocolSet& set, std::string message) const;
  bool dates_in_range(const std::optional<Instant>& other) const;

  // What the challenge or plan the event is for already holds.
  struct Held {
    SeenBefore seen = SeenBefore::no;
    const std::string& protocol;
    std::string (*protocol_mismatch)(const std::string& held_protocol);
    Instant last_event_at;
  };
  enum class Verdict { admit, redelivery, refused };
  // The checks against what is held, in order: seen before, `first` (the
  // caller's own refusal, if any), the protocol, `then`, the event's order.
  Verdict against(const Held& held, std::optional<Refusal> first = std::nullopt,
                  std::optional<Refusal> then = std::nullopt) const;

 private:
  std::string_view noun() const { return subject_ == Subject::plan ? "plan" : "challenge"; }

  const InboundEvent& e_;
  Instant now_;
  Effects& out_;
  Subject subject_;
};

}  // namespace crp
