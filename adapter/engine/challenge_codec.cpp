// Version 2 of the changelog state record: a tag byte, then every field of
// Challenge in declaration order. Integers are LEB128 varints (times zigzag,
// and relative to opened_at, so most take 3-4 bytes); strings and lists are a
// varint length then their bytes or items. No field names, no DOM: decoding is
// one pass over the bytes with bounds checks, and a record is about half the
// size of the JSON version 1.
#include "adapter/engine/challenge_codec.h"

#include <cstdint>

#include "adapter/engine/state_record.h"

namespace crp {
namespace {

using namespace state_record;

// JSON (version 1) starts with '{', so the first byte tells the versions apart.
// Version 3 is version 2 plus trailing fields (route, the decision clock);
// version 2 records from the previous release still decode.
constexpr char kTagV2 = '\x02';
constexpr char kTagV3 = '\x03';
// Version 4 is version 3 plus the pending reminders; written only when one is
// pending, so every other record stays version 3, byte for byte.
constexpr char kTagV4 = '\x04';
// Version 5 is version 4 plus the protocol version; written only for a
// challenge under a version other than 1, so every other record is unchanged.
constexpr char kTagV5 = '\x05';
constexpr std::uint64_t kMaxProtocolVersion = 1000000;  // the protocol schema's maximum
constexpr std::uint64_t kMaxCount = 1u << 24;           // more items than bytes is corrupt anyway

// seq counts a challenge's outputs (their ids): near 2^63 it is damage, and
// incrementing it must never wrap round to reuse an id.
constexpr std::uint64_t kMaxSeq = static_cast<std::uint64_t>(INT64_MAX);

enum Flag : std::uint8_t {
  kImmediateRisk = 1 << 0,
  kResponseOverdue = 1 << 1,
  kProcessOverdue = 1 << 2,
  kHasDue = 1 << 3,
  kHasMeeting = 1 << 4,
  kHasProcessDue = 1 << 5,
  kHasCheckDue = 1 << 6,
};
enum DutyFlag : std::uint8_t { kDone = 1 << 0, kOverdue = 1 << 1, kSuperseded = 1 << 2 };
enum V3Flag : std::uint8_t { kHasDecideDue = 1 << 0, kDecisionOverdue = 1 << 1 };
enum V4Flag : std::uint8_t { kHasResponseRemind = 1 << 0 };
// Bits no writer sets: a record with one is damaged.
constexpr std::uint8_t kUnknownFlags = 1 << 7;
constexpr std::uint8_t kUnknownDutyFlags = static_cast<std::uint8_t>(~0u << 3);
constexpr std::uint8_t kUnknownV3Flags = static_cast<std::uint8_t>(~0u << 2);
constexpr std::uint8_t kUnknownV4Flags = static_cast<std::uint8_t>(~0u << 1);

bool has_reminder(const Challenge& c) {
  if (c.response_remind_at) return true;
  for (const auto& d : c.duties) {
    if (d.remind_at) return true;
  }
  return false;
}

std::int64_t ms(Instant t) {
  return t.time_since_epoch().count();
}
// Modulo 2^64, so any two instants (even ones a damaged version 1 record
// holds) round-trip exactly, with no signed overflow.
std::int64_t wrapping_sub(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}
std::int64_t wrapping_add(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

class Writer {
 public:
  explicit Writer(Instant base) : base_(ms(base)) { out_.reserve(512); }
  void byte(std::uint8_t b) { out_.push_back(static_cast<char>(b)); }
  void varint(std::uint64_t v) { append_varint(out_, v); }
  void time(Instant t) { varint(zigzag(wrapping_sub(ms(t), base_))); }
  void str(const std::string& s) {
    varint(s.size());
    out_.append(s);
  }
  void strings(const std::vector<std::string>& list) {
    varint(list.size());
    for (const auto& s : list) str(s);
  }
  std::string take() { return std::move(out_); }

 private:
  std::int64_t base_;
  std::string out_;
};

// Every read checks the bounds; the first failure sticks and names the offset.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool ok() const { return error_.empty(); }
  bool at_end() const { return pos_ == bytes_.size(); }
  const std::string& error() const { return error_; }
  void fail(const char* what) {
    if (ok()) error_ = std::string(what) + " at byte " + std::to_string(pos_);
  }
  std::uint8_t byte() {
    if (pos_ >= bytes_.size()) {
      fail("record ends early");
      return 0;
    }
    return static_cast<std::uint8_t>(bytes_[pos_++]);
  }
  std::uint64_t varint() {
    if (!ok()) return 0;
    std::uint64_t v = 0;
    switch (read_varint(bytes_, pos_, v)) {
      case VarintRead::ok:
        return v;
      case VarintRead::ends_early:
        fail("record ends early");
        return 0;
      case VarintRead::malformed:
        fail("malformed varint");
        return 0;
    }
    return 0;
  }
  std::uint64_t count() {
    const std::uint64_t n = varint();
    if (n > kMaxCount || n > bytes_.size() - pos_) fail("count exceeds the record");
    return ok() ? n : 0;
  }
  Instant time() {
    const std::int64_t t = wrapping_add(base_, unzigzag(varint()));
    if (!instant_in_range(t)) fail("instant out of range (1900-2300)");
    return ok() ? Instant(std::chrono::milliseconds(t)) : Instant{};
  }
  std::uint8_t flags(std::uint8_t unknown) {
    const std::uint8_t f = byte();
    if (f & unknown) fail("unknown flag bits");
    return f;
  }
  void set_base(Instant base) { base_ = ms(base); }
  std::string str() {
    const std::uint64_t n = count();
    std::string s(bytes_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::vector<std::string> strings() {
    std::vector<std::string> list(count());
    for (auto& s : list) s = str();
    return list;
  }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
  std::int64_t base_ = 0;
  std::string error_;
};

}  // namespace

std::string encode_challenge(const Challenge& c) {
  Writer w(c.opened_at);
  const bool v5 = c.protocol_version != 1;
  const bool v4 = v5 || has_reminder(c);
  w.byte(v5 ? kTagV5 : v4 ? kTagV4 : kTagV3);
  w.varint(zigzag(ms(c.opened_at)));  // the base every later time is relative to
  w.str(c.id);
  w.str(c.case_id);
  w.str(c.protocol);
  w.str(c.track);
  w.str(c.agency);
  w.strings(c.categories);
  w.str(c.source_system);
  w.varint(c.contact_emails.size());
  for (const auto& [role, email] : c.contact_emails) {
    w.str(role);
    w.str(email);
  }
  w.str(c.team);
  w.str(c.locality);
  w.str(c.stage);
  w.byte(static_cast<std::uint8_t>(c.phase));
  w.byte((c.immediate_risk ? kImmediateRisk : 0) | (c.response_overdue ? kResponseOverdue : 0) |
         (c.process_overdue ? kProcessOverdue : 0) | (c.due_at ? kHasDue : 0) |
         (c.meeting_at ? kHasMeeting : 0) | (c.process_due_at ? kHasProcessDue : 0) |
         (c.check_due_at ? kHasCheckDue : 0));
  w.time(c.stage_started_at);
  for (const auto* t : {&c.due_at, &c.meeting_at, &c.process_due_at, &c.check_due_at}) {
    if (*t) w.time(**t);
  }
  w.varint(c.duties.size());
  for (const auto& d : c.duties) {
    w.str(d.stage);
    w.str(d.id);
    w.time(d.due);
    w.byte((d.done ? kDone : 0) | (d.overdue ? kOverdue : 0) | (d.superseded ? kSuperseded : 0));
  }
  w.str(c.outcome);
  w.time(c.last_event_at);
  w.varint(c.seq);
  w.strings(c.seen_event_ids);
  w.varint(c.history.size());
  for (const auto& h : c.history) {
    w.time(h.at);
    w.str(h.event);
    w.str(h.stage);
  }
  w.str(c.route);
  w.byte((c.decide_due_at ? kHasDecideDue : 0) | (c.decision_overdue ? kDecisionOverdue : 0));
  if (c.decide_due_at) w.time(*c.decide_due_at);
  if (v4) {
    w.byte(c.response_remind_at ? kHasResponseRemind : 0);
    if (c.response_remind_at) w.time(*c.response_remind_at);
    std::uint64_t duties = 0;
    for (const auto& d : c.duties) duties += d.remind_at ? 1 : 0;
    w.varint(duties);  // then each as (its index in duties, when)
    for (std::size_t i = 0; i < c.duties.size(); ++i) {
      if (!c.duties[i].remind_at) continue;
      w.varint(i);
      w.time(*c.duties[i].remind_at);
    }
  }
  if (v5) w.varint(static_cast<std::uint64_t>(c.protocol_version));
  return w.take();
}

std::optional<Challenge> decode_challenge(std::string_view bytes, std::string& error) {
  if (!bytes.empty() && bytes.front() == '{') return decode_challenge_json_v1(bytes, error);
  if (bytes.empty() || (bytes.front() < kTagV2 || bytes.front() > kTagV5)) {
    error = "not a challenge state record (neither version 2-5 nor version 1 JSON)";
    return std::nullopt;
  }
  Reader r(bytes);
  const char tag = static_cast<char>(r.byte());
  const bool v3 = tag >= kTagV3;
  const bool v4 = tag >= kTagV4;
  const bool v5 = tag == kTagV5;
  Challenge c;
  c.opened_at = r.time();
  r.set_base(c.opened_at);
  c.id = r.str();
  c.case_id = r.str();
  c.protocol = r.str();
  c.track = r.str();
  c.agency = r.str();
  c.categories = r.strings();
  c.source_system = r.str();
  for (std::uint64_t n = r.count(); n > 0 && r.ok(); --n) {
    std::string role = r.str();
    c.contact_emails.emplace(std::move(role), r.str());
  }
  c.team = r.str();
  c.locality = r.str();
  c.stage = r.str();
  const std::uint8_t phase = r.byte();
  if (phase > static_cast<std::uint8_t>(Phase::closed)) r.fail("unknown phase");
  c.phase = static_cast<Phase>(phase);
  const std::uint8_t flags = r.flags(kUnknownFlags);
  c.immediate_risk = flags & kImmediateRisk;
  c.response_overdue = flags & kResponseOverdue;
  c.process_overdue = flags & kProcessOverdue;
  c.stage_started_at = r.time();
  if (flags & kHasDue) c.due_at = r.time();
  if (flags & kHasMeeting) c.meeting_at = r.time();
  if (flags & kHasProcessDue) c.process_due_at = r.time();
  if (flags & kHasCheckDue) c.check_due_at = r.time();
  c.duties.resize(r.count());
  for (auto& d : c.duties) {
    d.stage = r.str();
    d.id = r.str();
    d.due = r.time();
    const std::uint8_t f = r.flags(kUnknownDutyFlags);
    d.done = f & kDone;
    d.overdue = f & kOverdue;
    d.superseded = f & kSuperseded;
  }
  c.outcome = r.str();
  c.last_event_at = r.time();
  c.seq = r.varint();
  if (c.seq > kMaxSeq) r.fail("seq out of range");
  c.seen_event_ids = r.strings();
  c.history.resize(r.count());
  for (auto& h : c.history) {
    h.at = r.time();
    h.event = r.str();
    h.stage = r.str();
  }
  if (v3) {
    c.route = r.str();
    const std::uint8_t f = r.flags(kUnknownV3Flags);
    c.decision_overdue = f & kDecisionOverdue;
    if (f & kHasDecideDue) c.decide_due_at = r.time();
  }
  if (v4) {
    if (r.flags(kUnknownV4Flags) & kHasResponseRemind) c.response_remind_at = r.time();
    for (std::uint64_t n = r.count(); n > 0 && r.ok(); --n) {
      const std::uint64_t i = r.varint();
      if (i >= c.duties.size()) {
        r.fail("reminder of a duty the record does not hold");
        break;
      }
      c.duties[i].remind_at = r.time();
    }
  }
  if (v5 && r.ok()) {
    const std::uint64_t version = r.varint();
    if (version < 1 || version > kMaxProtocolVersion) r.fail("protocol version out of range");
    c.protocol_version = static_cast<int>(version);
  }
  if (r.ok() && !r.at_end()) r.fail("unexpected bytes after the record");
  if (r.ok() && c.id.empty()) r.fail("challenge state record lacks an id");
  if (!r.ok()) {
    error = "version " + std::to_string(static_cast<int>(tag)) +
            " challenge state record: " + r.error();
    return std::nullopt;
  }
  return c;
}

}  // namespace crp
