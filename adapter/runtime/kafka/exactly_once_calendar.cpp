// Calendar updates applied live (docs/decisions/0060). SIGHUP, or a change of
// the calendar file's modification time or size (checked every few seconds),
// reloads it. A file that cannot be read for a division the protocols use is
// refused, with the file, the JSON pointer and the reason in the log and a
// metric; the calendar in use stays. A valid one with other content becomes
// the current calendar, and every owned partition is brought up to it in the
// open transaction: the recounted deadlines' events and emails, their state
// records and the input offsets commit together. A partition restored later
// (a rebalance, a rebuild after an abort) starts under the start-up calendar
// and is brought up the same way; the engine leaves alone a deadline already
// counted under the current calendar, so nothing is announced twice.
#include <csignal>
#include <filesystem>
#include <set>

#include "adapter/engine/fnv1a.h"
#include "adapter/engine/protocol_digests.h"
#include "adapter/infra/kafka/json_log.h"
#include "adapter/json/json.h"
#include "adapter/runtime/kafka/exactly_once_service.h"

namespace crp::kafka {
namespace {

constexpr auto kCalendarCheckEvery = std::chrono::seconds(5);

// When the file last changed, as far as a cheap stat can tell; empty when it cannot be read.
std::optional<std::pair<std::int64_t, std::uintmax_t>> stamp(const std::string& file) {
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(file, ec);
  if (ec) return std::nullopt;
  const std::uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec) return std::nullopt;
  return std::pair{static_cast<std::int64_t>(mtime.time_since_epoch().count()), size};
}

}  // namespace

void ExactlyOnceService::watch_calendar() {
  calendar_stamp_ = stamp(config_.calendar_file);
  calendar_digest_ = fnv1a64(config_.calendar_text);  // as the start-up calendar was read
  next_calendar_check_ = std::chrono::steady_clock::now() + kCalendarCheckEvery;
  wait_for_hangup();
}

void ExactlyOnceService::wait_for_hangup() {
  hangup_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;  // stopping
    log(LogLevel::info, "SIGHUP: reading the calendar file again",
        {{"file", config_.calendar_file}});
    check_calendar(/*forced=*/true);
    wait_for_hangup();
  });
}

void ExactlyOnceService::check_calendar(bool forced) {
  const auto now = std::chrono::steady_clock::now();
  if (!forced && now < next_calendar_check_) return;
  next_calendar_check_ = now + kCalendarCheckEvery;
  const auto current = stamp(config_.calendar_file);
  if (!forced && current == calendar_stamp_) return;
  calendar_stamp_ = current;
  std::uint64_t digest = 0;
  std::shared_ptr<const ProtocolSet> next;
  try {
    const std::string text = json::read_file(config_.calendar_file);
    digest = fnv1a64(text);
    if (digest == calendar_digest_) {
      metrics_.calendar_reloads->with({"unchanged"}).inc();
      return;
    }
    next = with_calendar(*calendar_, text, config_.calendar_file);
    calendar_text_ = text;
  } catch (const json::ConfigError& e) {
    log(LogLevel::error, "calendar file refused: the calendar in use stays",
        {{"file", e.file()}, {"pointer", e.pointer()}, {"reason", e.reason()}});
    metrics_.calendar_reloads->with({"refused"}).inc();
    return;
  }
  calendar_digest_ = digest;
  calendar_ = std::move(next);
  log(LogLevel::info, "calendar file changed: recounting the open deadlines of every partition",
      {{"file", config_.calendar_file}, {"partitions", tasks_.size()}});
  metrics_.calendar_reloads->with({"applied"}).inc();
}

void ExactlyOnceService::catch_up_calendars() {
  for (auto& [partition, task] : tasks_) catch_up_calendar(*task);
}

void ExactlyOnceService::catch_up_calendar(PartitionTask& task) {
  if (failed_ || restoring_.count(task.partition)) return;
  if (!task.calendar_compared) {
    task.calendar_compared = true;
    compare_counted(task);
    task.engine.set_counted(Engine::kProtocolsKey, protocol_digests_);  // a no-op once recorded
  }
  if (&task.engine.protocols() == calendar_.get()) {
    task.engine.set_counted(Engine::kCalendarKey, calendar_text_);  // a no-op once recorded
    return;
  }
  // On the event clock a partition restored here has no time until its first
  // event: the change waits for it rather than be dated 1970.
  if (config_.event_clock && task.processor.clock() == Instant{}) return;
  begin_transaction();
  outputs_.clear();
  task.processor.change_calendar(
      calendar_, config_.event_clock ? std::nullopt : std::optional<Instant>(wall_now()), outputs_);
  std::size_t changed = 0;
  for (const Output& o : outputs_) {
    if (o.record.topic == config_.topics.escalations) ++changed;
  }
  if (changed > 0) {
    log(LogLevel::info, "calendar change: deadlines recounted",
        {{"partition", task.partition}, {"deadlines_changed", changed}});
  }
  task.engine.set_counted(Engine::kCalendarKey,
                          calendar_text_);  // committed with the recounted state
  produce_outputs();
}

// A partition's state may have been counted under another calendar file than
// the one the service started with: a file changed while the service was
// stopped (or on another instance). Its engine then starts from that calendar,
// so the catch-up recounts from it to the current one, as a live change would.
void ExactlyOnceService::compare_counted(PartitionTask& task) {
  // A protocol version edited in place (not given a new version): its open
  // challenges now run under the edited rules. Told once, at the first start
  // after the edit; `check-config --changelog` lists them before (decision 0061).
  if (const std::string* protocols = task.engine.counted(Engine::kProtocolsKey)) {
    const std::set<std::string> changed = changed_in_place(*protocols, *start_calendar_);
    std::string list;
    for (const std::string& v : changed) list += (list.empty() ? "" : ", ") + v;
    if (!changed.empty()) {
      log(LogLevel::warning,
          "protocol versions changed in place: their open challenges run under the edited "
          "definition (give a revision a new version instead)",
          {{"partition", task.partition}, {"versions", list}});
    }
  }
  const std::string* counted = task.engine.counted(Engine::kCalendarKey);
  if (!counted || *counted == config_.calendar_text) return;
  try {
    task.engine.assume_calendar(with_calendar(
        *start_calendar_, *counted, "the changelog's " + std::string(Engine::kCalendarKey)));
    log(LogLevel::info,
        "partition state counted under another calendar file: recounting its open deadlines",
        {{"partition", task.partition}, {"file", config_.calendar_file}});
  } catch (const json::ConfigError& e) {
    // Unreadable (a calendar library from another release?): nothing to recount from.
    log(LogLevel::warning, "calendar recorded in the changelog unreadable; deadlines stay",
        {{"partition", task.partition}, {"reason", e.reason()}});
  }
}

}  // namespace crp::kafka
