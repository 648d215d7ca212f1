// Version 1 of the plan record: the tag byte, then WatchedPlan's fields in
// declaration order. Integers are LEB128 varints, instants zigzag milliseconds,
// strings and lists a varint length then their content. Decoding checks every
// length against the bytes left and every instant against 1900-2300.
#include "adapter/engine/watch/plan_codec.h"

#include <cstdint>

#include "adapter/engine/state_record.h"

namespace crp {
namespace {

using namespace state_record;

constexpr char kTagV1 = '\x10';
constexpr std::uint64_t kMaxCount = 1u << 20;

class Out {
 public:
  void u(std::uint64_t v) { append_varint(s_, v); }
  void t(Instant at) { u(zigzag(at.time_since_epoch().count())); }
  void ot(const std::optional<Instant>& at) {
    u(at ? 1 : 0);
    if (at) t(*at);
  }
  void str(const std::string& v) {
    u(v.size());
    s_ += v;
  }
  std::string take() { return std::move(s_); }

 private:
  std::string s_;
};

class In {
 public:
  explicit In(std::string_view b) : b_(b) {}
  bool u(std::uint64_t& v) { return read_varint(b_, pos_, v) == VarintRead::ok; }
  bool count(std::size_t& n) {
    std::uint64_t v;
    if (!u(v) || v > kMaxCount || v > b_.size() - pos_) return false;
    n = static_cast<std::size_t>(v);
    return true;
  }
  bool t(Instant& at) {
    std::uint64_t z;
    if (!u(z)) return false;
    const std::int64_t v = unzigzag(z);
    if (!instant_in_range(v)) return false;
    at = Instant(std::chrono::milliseconds(v));
    return true;
  }
  bool ot(std::optional<Instant>& at) {
    std::uint64_t has;
    if (!u(has) || has > 1) return false;
    if (!has) return true;
    Instant v;
    if (!t(v)) return false;
    at = v;
    return true;
  }
  bool str(std::string& v) {
    std::size_t n;
    if (!count(n)) return false;
    v.assign(b_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool small(std::uint8_t& v, std::uint8_t max) {
    std::uint64_t x;
    if (!u(x) || x > max) return false;
    v = static_cast<std::uint8_t>(x);
    return true;
  }
  bool at_end() const { return pos_ == b_.size(); }

 private:
  std::string_view b_;
  std::size_t pos_ = 1;  // after the tag
};

}  // namespace

std::string encode_plan(const WatchedPlan& p) {
  Out o;
  std::string tag(1, kTagV1);
  o.str(p.id);
  o.str(p.case_id);
  o.str(p.protocol);
  o.str(p.team);
  o.str(p.locality);
  o.str(p.source_system);
  o.ot(p.started_at);
  o.u(p.conferences.size());
  for (const auto& c : p.conferences) {
    o.str(c.id);
    o.str(c.kind);
    o.t(c.at);
    o.u(static_cast<std::uint8_t>(c.status));
    o.u(c.interpreter_needed ? 1 : 0);
    o.u(c.done.size());
    for (const auto& [a, at] : c.done) {
      o.str(a);
      o.t(at);
    }
    o.u(c.checks.size());
    for (const auto& [rule, due] : c.checks) {
      o.str(rule);
      o.t(due);
    }
    o.ot(c.summary_due);
  }
  o.u(p.clocks.size());
  for (const auto& k : p.clocks) {
    o.str(k.rule);
    o.ot(k.last);
    o.t(k.due);
  }
  o.u(p.findings.size());
  for (const auto& f : p.findings) {
    o.str(f.id);
    o.str(f.rule);
    o.str(f.conference_id);
    o.t(f.due);
    o.ot(f.actual);
    o.t(f.found_at);
    o.u(static_cast<std::uint8_t>(f.status));
    o.str(f.challenge_id);
  }
  o.t(p.last_event_at);
  o.u(p.seq);
  o.u(p.seen_events.size());
  for (const auto& s : p.seen_events) {
    o.u(s.id);
    o.u(s.content);
  }
  return tag + o.take();
}

std::optional<WatchedPlan> decode_plan(std::string_view bytes, std::string& error) {
  if (bytes.empty() || bytes.front() != kTagV1) {
    error = "not a watched-plan record (unknown tag)";
    return std::nullopt;
  }
  In in(bytes);
  WatchedPlan p;
  std::size_t n = 0;
  bool ok = in.str(p.id) && in.str(p.case_id) && in.str(p.protocol) && in.str(p.team) &&
            in.str(p.locality) && in.str(p.source_system) && in.ot(p.started_at) && in.count(n);
  for (std::size_t i = 0; ok && i < n; ++i) {
    WatchedConference c;
    std::uint8_t status = 0, interpreter = 0;
    std::size_t m = 0;
    ok = in.str(c.id) && in.str(c.kind) && in.t(c.at) && in.small(status, 2) &&
         in.small(interpreter, 1) && in.count(m);
    c.status = static_cast<ConferenceStatus>(status);
    c.interpreter_needed = interpreter == 1;
    for (std::size_t j = 0; ok && j < m; ++j) {
      std::pair<std::string, Instant> d;
      ok = in.str(d.first) && in.t(d.second);
      c.done.push_back(std::move(d));
    }
    ok = ok && in.count(m);
    for (std::size_t j = 0; ok && j < m; ++j) {
      std::pair<std::string, Instant> d;
      ok = in.str(d.first) && in.t(d.second);
      c.checks.push_back(std::move(d));
    }
    ok = ok && in.ot(c.summary_due);
    p.conferences.push_back(std::move(c));
  }
  ok = ok && in.count(n);
  for (std::size_t i = 0; ok && i < n; ++i) {
    RecurringClock k;
    ok = in.str(k.rule) && in.ot(k.last) && in.t(k.due);
    p.clocks.push_back(std::move(k));
  }
  ok = ok && in.count(n);
  for (std::size_t i = 0; ok && i < n; ++i) {
    Finding f;
    std::uint8_t status = 0;
    ok = in.str(f.id) && in.str(f.rule) && in.str(f.conference_id) && in.t(f.due) &&
         in.ot(f.actual) && in.t(f.found_at) && in.small(status, 2) && in.str(f.challenge_id);
    f.status = static_cast<FindingStatus>(status);
    p.findings.push_back(std::move(f));
  }
  ok =
      ok && in.t(p.last_event_at) && in.u(p.seq) && p.seq < (std::uint64_t{1} << 63) && in.count(n);
  for (std::size_t i = 0; ok && i < n; ++i) {
    WatchedPlan::Seen s;
    ok = in.u(s.id) && in.u(s.content);
    p.seen_events.push_back(s);
  }
  if (!ok || !in.at_end() || p.id.empty()) {
    error = "damaged watched-plan record";
    return std::nullopt;
  }
  return p;
}

}  // namespace crp
