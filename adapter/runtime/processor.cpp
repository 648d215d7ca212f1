#include "adapter/runtime/processor.h"

namespace crp {

void Processor::on_record(const Record& in, std::vector<Output>& out) {
  apply(in, std::nullopt, out);
}

void Processor::on_record_at(const Record& in, Instant now, std::vector<Output>& out) {
  advance_to(now, out);
  apply(in, now, out);
}

void Processor::apply(const Record& in, const std::optional<Instant>& wall,
                      std::vector<Output>& out) {
  const Input* input = nullptr;
  for (const auto& i : config_.inputs) {
    if (i.topic == in.topic) input = &i;
  }
  if (!input) {
    out.push_back(
        {router_.dead_letter(in, "crp.UnknownTopic", "no connector is configured for this topic"),
         clock_});
    return;
  }
  connectors::SourceResult mapped = input->source->map(in, engine_);
  if (mapped.occurred_at && impossible_date(in, *mapped.occurred_at, wall, out)) return;
  if (!wall && input->source->reads_state() && mapped.occurred_at && *mapped.occurred_at > clock_) {
    // A deadline passed before this record (e.g. an automatic escalation) may
    // change what it means: "Stage 2 recorded" is nothing new once the timer
    // has escalated to Stage 2. Fire those deadlines, then map it again.
    advance_to(*mapped.occurred_at - std::chrono::milliseconds(1), out);
    clock_ = *mapped.occurred_at;
    mapped = input->source->map(in, engine_);
  }
  if (mapped.dropped) return;
  if (!mapped.event) {
    out.push_back({router_.dead_letter(in, mapped.error.error_class, mapped.error.message),
                   wall.value_or(clock_)});
    return;
  }
  std::optional<InboundEvent>& event = mapped.event;  // its occurred_at was checked above
  if (!wall && event->occurred_at > clock_) {
    advance_to(event->occurred_at - std::chrono::milliseconds(1), out);
    clock_ = event->occurred_at;
  }
  if (!wall) apply_calendar_changes(clock_, out);  // a change at the event's instant comes first
  const Challenge* existing = engine_.find(event->challenge_id);
  intake_.admit(*event, existing ? existing->agency : std::string());
  effects_.clear();
  engine_.apply(*event, wall.value_or(clock_), effects_);
  emit(effects_, &in, out);
}

bool Processor::impossible_date(const Record& in, Instant at, const std::optional<Instant>& wall,
                                std::vector<Output>& out) {
  if (!in_service_years(at)) {
    out.push_back(
        {router_.dead_letter(in, "crp.EventDateOutOfRange", "occurred_at is outside 2000-2100"),
         wall.value_or(clock_)});
    return true;
  }
  const std::optional<Instant> limit = wall ? wall : horizon_;
  if (!limit || at <= *limit + std::chrono::hours(24)) return false;
  out.push_back({router_.dead_letter(in, "crp.EventFromTheFuture",
                                     "occurred_at is more than 24 hours after the service's clock"),
                 wall.value_or(clock_)});
  return true;
}

void Processor::advance_to(Instant t, std::vector<Output>& out) {
  // Fire one deadline instant at a time so every output carries its own time;
  // a calendar change at or before a deadline's instant comes before it.
  while (true) {
    const std::optional<Instant> due = engine_.next_due();
    if (!calendar_changes_.empty() && calendar_changes_.front().at <= t &&
        (!due || calendar_changes_.front().at <= *due)) {
      apply_calendar_changes(calendar_changes_.front().at, out);
      continue;
    }
    if (!due || *due > t) break;
    if (*due > clock_) clock_ = *due;
    effects_.clear();
    engine_.advance_to(clock_, effects_);
    emit(effects_, nullptr, out);
  }
  if (t > clock_) clock_ = t;
}

void Processor::change_calendar(std::shared_ptr<const ProtocolSet> next, std::optional<Instant> now,
                                std::vector<Output>& out) {
  effects_.clear();
  engine_.change_calendar(std::move(next), now.value_or(clock_), effects_);
  emit(effects_, nullptr, out);
}

void Processor::apply_calendar_changes(Instant t, std::vector<Output>& out) {
  while (!calendar_changes_.empty() && calendar_changes_.front().at <= t) {
    CalendarChange change = std::move(calendar_changes_.front());
    calendar_changes_.pop_front();
    if (change.at > clock_) clock_ = change.at;
    change_calendar(std::move(change.next), clock_, out);
  }
}

void Processor::emit(const Effects& effects, const Record* input, std::vector<Output>& out) {
  std::vector<Record> records;
  for (const Effect& e : effects) {
    records.clear();
    router_.route(e, engine_, input, records);
    for (auto& r : records) out.push_back({std::move(r), e.at});
  }
}

}  // namespace crp
