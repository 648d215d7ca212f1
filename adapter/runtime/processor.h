// One input record (or the passing of time) through connector -> engine ->
// output router. `run` and `replay` share it, so what replay prints is what
// the live service produces.
#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "adapter/core/record.h"
#include "adapter/engine/engine.h"
#include "adapter/runtime/intake.h"
#include "adapter/runtime/output_router.h"
#include "adapter/runtime/service_config.h"

namespace crp {

struct Output {
  Record record;
  Instant at{};  // when it was decided (virtual or wall time)
};

class Processor {
 public:
  Processor(const ServiceConfig& config, Engine& engine)
      : config_(config), engine_(engine), router_(config), intake_(config) {}

  // Event time: the clock follows the events' occurred_at. Timers due before
  // the event fire first (a response at exactly 17:00 is on time).
  void on_record(const Record& in, std::vector<Output>& out);
  // Wall time: timers due by `now` fire first, then the event applies at `now`.
  void on_record_at(const Record& in, Instant now, std::vector<Output>& out);
  // Fires every timer due at or before `t` and moves the clock there.
  void advance_to(Instant t, std::vector<Output>& out);

  // A new calendar (the protocols with calendars from a changed bank-holidays
  // file) at `now`, before any deadline still due fires (a deadline it moves
  // later must not fire first); `now` empty (the event clock): at the
  // processor's clock (docs/decisions/0060).
  void change_calendar(std::shared_ptr<const ProtocolSet> next, std::optional<Instant> now,
                       std::vector<Output>& out);
  // replay's --calendar-change: the new calendar applies before any event or
  // deadline at or after `at`. Added in time order.
  void schedule_calendar_change(Instant at, std::shared_ptr<const ProtocolSet> next) {
    calendar_changes_.push_back({at, std::move(next)});
  }
  std::size_t pending_calendar_changes() const { return calendar_changes_.size(); }

  Instant clock() const { return clock_; }
  // replay's --until: an event dated more than a day after it is refused, as
  // one dated a day after the wall clock is in `run`.
  void set_horizon(std::optional<Instant> horizon) { horizon_ = horizon; }
  // Who counts unmapped agencies and refused contacts (the service's metrics).
  void set_intake_observer(IntakeObserver* observer) { intake_.set_observer(observer); }
  // The DLQ record for an input that never reached a connector (e.g. not a record at all).
  Record dead_letter(const Record& in, const std::string& error_class,
                     const std::string& message) const {
    return router_.dead_letter(in, error_class, message);
  }

 private:
  void apply(const Record& in, const std::optional<Instant>& wall, std::vector<Output>& out);
  void emit(const Effects& effects, const Record* input, std::vector<Output>& out);

  const ServiceConfig& config_;
  Engine& engine_;
  OutputRouter router_;
  Intake intake_;
  // True (and dead-letters the record) when `at` is outside 2000-2100 or
  // further ahead of the clock than a case system's clock skew can explain.
  bool impossible_date(const Record& in, Instant at, const std::optional<Instant>& wall,
                       std::vector<Output>& out);

  // Applies the scheduled calendar changes due at or before `t`.
  void apply_calendar_changes(Instant t, std::vector<Output>& out);

  struct CalendarChange {
    Instant at;
    std::shared_ptr<const ProtocolSet> next;
  };
  std::deque<CalendarChange> calendar_changes_;
  Instant clock_{};
  std::optional<Instant> horizon_;
  Effects effects_;  // reused between calls
};

}  // namespace crp
