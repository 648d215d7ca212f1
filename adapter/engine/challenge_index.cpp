#include "adapter/engine/challenge_index.h"

#include <bit>
#include <functional>

namespace crp {
namespace {

constexpr std::size_t kNotFound = std::numeric_limits<std::size_t>::max();
// At most 7/8 full: linear probing stays short well past this, and a
// power-of-two table doubles rarely.
constexpr bool too_full(std::size_t entries, std::size_t capacity) {
  return entries * 8 > capacity * 7;
}

}  // namespace

std::uint32_t ChallengeIndex::hash_of(std::string_view id) {
  const std::size_t h = std::hash<std::string_view>{}(id);
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

std::size_t ChallengeIndex::position(std::string_view id, std::uint32_t hash,
                                     const std::vector<Challenge>& slots) const {
  if (table_.empty()) return kNotFound;
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Entry& e = table_[i];
    if (e.slot == kNone) return kNotFound;
    if (e.hash == hash && slots[e.slot].id == id) return i;
  }
}

ChallengeIndex::Slot ChallengeIndex::find(std::string_view id,
                                          const std::vector<Challenge>& slots) const {
  const std::size_t at = position(id, hash_of(id), slots);
  return at == kNotFound ? kNone : table_[at].slot;
}

void ChallengeIndex::place(Entry e) {
  const std::size_t mask = table_.size() - 1;
  std::size_t i = e.hash & mask;
  while (table_[i].slot != kNone) i = (i + 1) & mask;
  table_[i] = e;
}

void ChallengeIndex::insert(std::string_view id, Slot slot) {
  if (table_.empty() || too_full(size_ + 1, table_.size())) grow_to(table_.size() * 2);
  place(Entry{hash_of(id), slot});
  ++size_;
}

ChallengeIndex::Slot ChallengeIndex::erase(std::string_view id,
                                           const std::vector<Challenge>& slots) {
  std::size_t hole = position(id, hash_of(id), slots);
  if (hole == kNotFound) return kNone;
  const Slot slot = table_[hole].slot;
  // Backward shift: an entry after the hole moves into it unless its home
  // position lies cyclically in (hole, j], where it is still reachable.
  const std::size_t mask = table_.size() - 1;
  for (std::size_t j = (hole + 1) & mask; table_[j].slot != kNone; j = (j + 1) & mask) {
    const std::size_t home = table_[j].hash & mask;
    const bool reachable = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (reachable) continue;
    table_[hole] = table_[j];
    hole = j;
  }
  table_[hole] = Entry{};
  --size_;
  return slot;
}

void ChallengeIndex::reserve(std::size_t n) {
  std::size_t capacity = std::bit_ceil(std::max<std::size_t>(n, 8));
  if (too_full(n, capacity)) capacity *= 2;
  if (capacity > table_.size()) grow_to(capacity);
}

void ChallengeIndex::grow_to(std::size_t capacity) {
  std::vector<Entry> old(std::max<std::size_t>(capacity, 16));
  old.swap(table_);
  for (const Entry& e : old) {
    if (e.slot != kNone) place(e);
  }
}

}  // namespace crp
