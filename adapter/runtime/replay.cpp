#include "adapter/runtime/replay.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <istream>
#include <ostream>
#include <string_view>

#include "adapter/json/json.h"
#include "adapter/runtime/processor.h"
#include "connectors/webhooks/delivery.h"

namespace crp {
namespace {

// A replay line as a Kafka record. A string value is taken as the raw bytes
// (so a test can feed "not JSON"); any other JSON value is serialised.
bool to_record(const std::string& line, std::size_t number, Record& r, std::string& problem) {
  rapidjson::Document d;
  // A line wraps a whole record value (up to a topic's 16 MiB): the record
  // limits apply to the value, in its connector, not to the line.
  if (!json::parse(line, d, problem, json::kFileLimits) || !d.IsObject()) {
    if (problem.empty()) problem = "not a JSON object";
    return false;
  }
  if (!d.HasMember("topic") || !d["topic"].IsString()) {
    problem = "missing \"topic\"";
    return false;
  }
  r.topic = d["topic"].GetString();
  if (d.HasMember("key") && d["key"].IsString()) r.key = d["key"].GetString();
  if (d.HasMember("headers") && d["headers"].IsObject()) {
    for (auto m = d["headers"].MemberBegin(); m != d["headers"].MemberEnd(); ++m) {
      if (m->value.IsString()) r.headers.push_back({m->name.GetString(), m->value.GetString()});
    }
  }
  if (d.HasMember("value")) {
    const auto& v = d["value"];
    r.value = v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : json::to_string(v);
  }
  r.partition = 0;
  r.offset = static_cast<std::int64_t>(number - 1);
  return true;
}

// Output lines are built in one buffer and written in large blocks: replay
// prints several records per event, and a write per line dominated its time.
class Printer {
 public:
  explicit Printer(std::ostream& out) : out_(out) {}
  Printer(const Printer&) = delete;
  Printer& operator=(const Printer&) = delete;
  ~Printer() { flush(); }

  // A dead letter always shows its headers (they say why); every record does with --headers.
  void print(const Output& o, bool show_headers) {
    bool dead = o.record.header("__connect.errors.exception.class.name") != nullptr;
    if (!dead && !show_headers) {
      // The common line, built directly: the same bytes the writer below
      // produces, without its per-character copy of the value.
      append("{\"topic\":");
      string(o.record.topic);
      append(",\"key\":");
      string(o.record.key);
      append(",\"at\":");
      string(format_iso8601(o.at));
      append(",\"value\":");
      append(o.record.value);
      append("}\n");
      if (buffer_.GetSize() >= kBlock) flush();
      return;
    }
    writer_.Reset(buffer_);
    rapidjson::Writer<rapidjson::StringBuffer>& w = writer_;
    w.StartObject();
    w.Key("topic"), w.String(o.record.topic);
    w.Key("key"), w.String(o.record.key);
    w.Key("at"), w.String(format_iso8601(o.at));
    if (dead || show_headers) {
      w.Key("headers");
      w.StartObject();
      for (const auto& h : o.record.headers) w.Key(h.key.c_str()), w.String(h.value);
      w.EndObject();
    }
    w.Key("value");
    // Values the router built are JSON already; only a dead-lettered input may
    // not be, and that one is printed as a string.
    if (!dead) {
      w.RawValue(o.record.value.data(), o.record.value.size(), rapidjson::kObjectType);
    } else {
      rapidjson::Document v;
      std::string ignored;
      if (json::parse(o.record.value, v, ignored)) {
        v.Accept(w);
      } else {
        w.String(o.record.value);
      }
    }
    w.EndObject();
    buffer_.Put('\n');
    if (buffer_.GetSize() >= kBlock) flush();
  }

  void flush() {
    if (buffer_.GetSize() == 0) return;
    out_.write(buffer_.GetString(), static_cast<std::streamsize>(buffer_.GetSize()));
    buffer_.Clear();
  }

 private:
  void append(std::string_view s) { std::memcpy(buffer_.Push(s.size()), s.data(), s.size()); }

  // A JSON string as rapidjson's writer writes it: bytes copied, and only
  // control characters, '"' and '\\' escaped (by the writer itself).
  void string(std::string_view s) {
    const bool plain = std::none_of(s.begin(), s.end(), [](char c) {
      return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\';
    });
    if (plain) {
      buffer_.Put('"');
      append(s);
      buffer_.Put('"');
    } else {
      rapidjson::Writer<rapidjson::StringBuffer> w(buffer_);
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    }
  }

  static constexpr std::size_t kBlock = 1 << 16;
  std::ostream& out_;
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

// The webhook calls an outbox record causes, one line per subscribed partner
// (webhook calls appear with topic webhook:<partner-id>): the body each
// partner would receive, after its allowlist. Their headers are the HTTP request's: replay
// reads no signing key, so the signature is named, not computed (docs/partners.md).
void print_webhook_calls(const ServiceConfig& config, const Output& o, Printer& out,
                         bool show_headers, ReplayStats& stats) {
  if (o.record.topic != config.topics.partner_outbox || !config.webhooks.partners) return;
  for (const webhooks::Delivery& d :
       webhooks::fan_out(o.record.value, *config.webhooks.partners, config.source)) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(o.at).time_since_epoch();
    Output call{Record{"webhook:" + d.partner_id,
                       d.challenge_id,
                       {{"content-type", "application/json"},
                        {"webhook-id", d.webhook_id},
                        {"webhook-timestamp", std::to_string(seconds.count())},
                        {"webhook-signature", "v1,<HMAC-SHA256 with the partner's key>"}},
                       d.body},
                o.at};
    out.print(call, show_headers);
    ++stats.out_by_topic[call.record.topic];
  }
}

}  // namespace

ReplayStats replay(const ServiceConfig& config, std::istream& in, std::ostream& out,
                   std::ostream& err, std::optional<Instant> until, bool show_headers,
                   const std::vector<ReplayCalendarChange>& calendar_changes) {
  Engine engine(config.protocols);
  engine.set_closed_retention(config.closed_retention);
  Processor processor(config, engine);
  processor.set_horizon(until);
  for (const ReplayCalendarChange& change : calendar_changes)
    processor.schedule_calendar_change(change.at, change.protocols);
  ReplayStats stats;
  Printer printer(out);
  std::vector<Output> outputs;
  auto flush = [&] {
    for (const auto& o : outputs) {
      if (o.record.topic == config.topics.dlq) {
        ++stats.dead_lettered;
        const std::string* cls = o.record.header("__connect.errors.exception.class.name");
        ++stats.dead_letters_by_class[cls ? *cls : "(unnamed)"];
      }
      ++stats.out_by_topic[o.record.topic];
      printer.print(o, show_headers);
      print_webhook_calls(config, o, printer, show_headers, stats);
    }
    stats.outputs += outputs.size();
    outputs.clear();
  };
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ++stats.records;
    Record record;
    std::string problem;
    if (!to_record(line, number, record, problem)) {
      printer.flush();  // stdout and stderr interleave as they did line by line
      err << "line " << number << ": not a record: " << problem << "\n";
      Record raw{"replay.input", "", {}, line, 0, static_cast<std::int64_t>(number - 1)};
      outputs.push_back(
          {processor.dead_letter(raw, "crp.InvalidRecord", "line is not a record: " + problem),
           processor.clock()});
      flush();
      continue;
    }
    processor.on_record(record, outputs);
    for (const auto& o : outputs) {
      if (const std::string* why = o.record.header("__connect.errors.exception.message")) {
        printer.flush();
        err << "line " << number << ": dead-lettered: " << *why << "\n";
      }
    }
    flush();
  }
  if (until) processor.advance_to(*until, outputs);
  flush();
  if (const std::size_t left = processor.pending_calendar_changes()) {
    printer.flush();
    err << left << " calendar change(s) after the end of the replayed history (the last event"
        << (until ? " and --until" : "") << "): not applied\n";
  }
  printer.flush();
  return stats;
}

}  // namespace crp
