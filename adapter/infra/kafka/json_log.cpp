#include "adapter/infra/kafka/json_log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdio>
#include <mutex>

#include "adapter/calendar/time.h"

namespace crp::kafka {
namespace {

const char* name(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warning:
      return "warning";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

std::mutex& output_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.StartObject();
  w.Key("time");
  w.String(format_iso8601(
      std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now())));
  w.Key("level");
  w.String(name(level));
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  for (const LogField& f : fields) {
    w.Key(f.key.data(), static_cast<rapidjson::SizeType>(f.key.size()));
    if (const auto* s = std::get_if<std::string_view>(&f.value)) {
      w.String(s->data(), static_cast<rapidjson::SizeType>(s->size()));
    } else {
      w.Int64(std::get<std::int64_t>(f.value));
    }
  }
  w.EndObject();
  std::lock_guard lock(output_mutex());
  std::fwrite(b.GetString(), 1, b.GetSize(), stderr);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace crp::kafka
