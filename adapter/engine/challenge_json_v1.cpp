// Version 1 of the changelog state record: JSON. Written by releases before
// version 2 (challenge_codec.cpp). The service only reads it now, so a rolling
// upgrade can restore from a changelog an older instance wrote; the writer
// stays for the tests of that path and as the restore benchmark's baseline.
#include "adapter/engine/challenge_codec.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>

#include "adapter/json/json.h"

namespace crp {
namespace {

constexpr int kVersion = 1;

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
void kv(Writer& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
void kv_time(Writer& w, const char* k, Instant t) {
  w.Key(k), w.Int64(t.time_since_epoch().count());
}
void kv_opt(Writer& w, const char* k, const std::optional<Instant>& t) {
  if (t) kv_time(w, k, *t);
}
void strings(Writer& w, const char* k, const std::vector<std::string>& v) {
  w.Key(k);
  w.StartArray();
  for (const auto& s : v) w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  w.EndArray();
}

// The same ranges as version 2 (challenge_codec.cpp): an instant 1900-2300,
// seq below 2^63. A value of the wrong type or out of range is a damaged
// record: the first one found is kept and the decode fails, never read as 0.
constexpr std::int64_t kEarliestMs = -2208988800000;  // 1900-01-01T00:00:00Z
constexpr std::int64_t kLatestMs = 10413792000000;    // 2300-01-01T00:00:00Z
thread_local std::string* damage = nullptr;           // the decode's error, while it runs
void damaged(const char* k, const char* why) {
  if (damage && damage->empty()) *damage = std::string("field ") + k + " " + why;
}

std::string s(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  return it != o.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString())
                                                     : std::string();
}
Instant t(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  if (it == o.MemberEnd()) return Instant{};  // older records lack some: the epoch, as before
  if (!it->value.IsInt64()) {
    damaged(k, "is not an integer of milliseconds");
    return Instant{};
  }
  const std::int64_t ms = it->value.GetInt64();
  if (ms < kEarliestMs || ms > kLatestMs) {
    damaged(k, "is out of range (1900-2300)");
    return Instant{};
  }
  return Instant(std::chrono::milliseconds(ms));
}
std::optional<Instant> opt(const rapidjson::Value& o, const char* k) {
  if (!o.HasMember(k)) return std::nullopt;
  return t(o, k);
}
bool b(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  return it != o.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}
std::vector<std::string> list(const rapidjson::Value& o, const char* k) {
  std::vector<std::string> out;
  auto it = o.FindMember(k);
  if (it == o.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& v : it->value.GetArray()) {
    if (v.IsString()) out.emplace_back(v.GetString());
  }
  return out;
}

}  // namespace

std::string encode_challenge_json_v1(const Challenge& c) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("v"), w.Int(kVersion);
  kv(w, "id", c.id);
  kv(w, "case_id", c.case_id);
  kv(w, "protocol", c.protocol);
  kv(w, "track", c.track);
  kv(w, "agency", c.agency);
  strings(w, "categories", c.categories);
  w.Key("immediate_risk"), w.Bool(c.immediate_risk);
  kv(w, "source_system", c.source_system);
  w.Key("contacts");
  w.StartObject();
  for (const auto& [role, email] : c.contact_emails) kv(w, role.c_str(), email);
  w.EndObject();
  // Optional and written only when set: older records without them decode the same.
  if (!c.team.empty()) kv(w, "team", c.team);
  if (!c.locality.empty()) kv(w, "locality", c.locality);
  kv(w, "stage", c.stage);
  kv(w, "phase", to_string(c.phase));
  kv_time(w, "stage_started_at", c.stage_started_at);
  kv_opt(w, "due_at", c.due_at);
  w.Key("response_overdue"), w.Bool(c.response_overdue);
  kv_opt(w, "meeting_at", c.meeting_at);
  w.Key("duties");
  w.StartArray();
  for (const auto& d : c.duties) {
    w.StartObject();
    kv(w, "stage", d.stage);
    kv(w, "id", d.id);
    kv_time(w, "due", d.due);
    w.Key("done"), w.Bool(d.done);
    w.Key("overdue"), w.Bool(d.overdue);
    w.EndObject();
  }
  w.EndArray();
  kv_opt(w, "process_due_at", c.process_due_at);
  w.Key("process_overdue"), w.Bool(c.process_overdue);
  kv_opt(w, "check_due_at", c.check_due_at);
  kv(w, "outcome", c.outcome);
  kv_time(w, "opened_at", c.opened_at);
  kv_time(w, "last_event_at", c.last_event_at);
  w.Key("seq"), w.Uint64(c.seq);
  strings(w, "seen", c.seen_event_ids);
  w.Key("history");
  w.StartArray();
  for (const auto& h : c.history) {
    w.StartObject();
    kv_time(w, "at", h.at);
    kv(w, "event", h.event);
    kv(w, "stage", h.stage);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::optional<Challenge> decode_challenge_json_v1(std::string_view bytes, std::string& error) {
  rapidjson::Document d;
  // State is the service's own output: the built-in record limits, whatever
  // an operator set for inputs.
  if (!json::parse(bytes, d, error, json::kRecordLimits)) return std::nullopt;
  if (!d.IsObject() || !d.HasMember("v") || !d["v"].IsInt() || d["v"].GetInt() != kVersion) {
    error = "not a version " + std::to_string(kVersion) + " challenge state record";
    return std::nullopt;
  }
  std::string problem;
  damage = &problem;
  struct Reset {
    ~Reset() { damage = nullptr; }
  } reset;
  Challenge c;
  c.id = s(d, "id");
  c.case_id = s(d, "case_id");
  c.protocol = s(d, "protocol");
  c.track = s(d, "track");
  c.agency = s(d, "agency");
  c.categories = list(d, "categories");
  c.immediate_risk = b(d, "immediate_risk");
  c.source_system = s(d, "source_system");
  if (d.HasMember("contacts") && d["contacts"].IsObject()) {
    for (auto m = d["contacts"].MemberBegin(); m != d["contacts"].MemberEnd(); ++m) {
      if (m->value.IsString()) c.contact_emails.emplace(m->name.GetString(), m->value.GetString());
    }
  }
  c.team = s(d, "team");
  c.locality = s(d, "locality");
  c.stage = s(d, "stage");
  auto phase = phase_from_string(s(d, "phase"));
  if (!phase || c.id.empty()) {
    error = "challenge state record lacks id or phase";
    return std::nullopt;
  }
  c.phase = *phase;
  c.stage_started_at = t(d, "stage_started_at");
  c.due_at = opt(d, "due_at");
  c.response_overdue = b(d, "response_overdue");
  c.meeting_at = opt(d, "meeting_at");
  if (d.HasMember("duties") && d["duties"].IsArray()) {
    for (const auto& x : d["duties"].GetArray()) {
      if (!x.IsObject()) continue;
      c.duties.push_back(
          DutyState{s(x, "stage"), s(x, "id"), t(x, "due"), b(x, "done"), b(x, "overdue")});
    }
  }
  c.process_due_at = opt(d, "process_due_at");
  c.process_overdue = b(d, "process_overdue");
  c.check_due_at = opt(d, "check_due_at");
  c.outcome = s(d, "outcome");
  c.opened_at = t(d, "opened_at");
  c.last_event_at = t(d, "last_event_at");
  if (d.HasMember("seq")) {
    if (d["seq"].IsUint64() && d["seq"].GetUint64() <= static_cast<std::uint64_t>(INT64_MAX))
      c.seq = d["seq"].GetUint64();
    else
      damaged("seq", "is not an integer from 0 to 2^63-1");
  }
  c.seen_event_ids = list(d, "seen");
  if (d.HasMember("history") && d["history"].IsArray()) {
    for (const auto& x : d["history"].GetArray()) {
      if (x.IsObject()) c.history.push_back(HistoryEntry{t(x, "at"), s(x, "event"), s(x, "stage")});
    }
  }
  if (!problem.empty()) {
    error = "version 1 challenge state record: " + problem;
    return std::nullopt;
  }
  return c;
}

}  // namespace crp
