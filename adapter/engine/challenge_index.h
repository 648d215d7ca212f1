// Challenge id -> engine slot. Open addressing with linear probing over a
// power-of-two table of {32-bit hash, slot} pairs, 8 bytes each, and no copy
// of the id: a candidate is confirmed against the id of the challenge in its
// slot. A lookup of an id usually reads one cache line of the table and one
// challenge; std::unordered_map read a bucket, two list nodes and a key copy
// scattered over the heap, and held ~70 bytes per challenge more (restoring
// 1,000,000 challenges spent a sixth of its CPU there: docs/benchmarks.md).
// Deletion shifts the following entries back, so there are no tombstones.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "adapter/engine/challenge.h"

namespace crp {

class ChallengeIndex {
 public:
  using Slot = std::uint32_t;
  static constexpr Slot kNone = std::numeric_limits<Slot>::max();

  // `slots` is the engine's slot vector: slots[s].id is the id of slot s.
  Slot find(std::string_view id, const std::vector<Challenge>& slots) const;
  // Adds an id that is not in the index.
  void insert(std::string_view id, Slot slot);
  // Removes the id; returns its slot, or kNone when it was not there.
  Slot erase(std::string_view id, const std::vector<Challenge>& slots);
  // Room for n ids without growing.
  void reserve(std::size_t n);
  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const { return table_.capacity() * sizeof(Entry); }

  // Every slot in the index, in table order (deterministic for the same ids).
  template <typename F>
  void for_each_slot(F&& f) const {
    for (const Entry& e : table_) {
      if (e.slot != kNone) f(e.slot);
    }
  }

 private:
  struct Entry {
    std::uint32_t hash = 0;
    Slot slot = kNone;
  };
  static std::uint32_t hash_of(std::string_view id);
  // Where the id is, or kNone.
  std::size_t position(std::string_view id, std::uint32_t hash,
                       const std::vector<Challenge>& slots) const;
  void grow_to(std::size_t capacity);
  void place(Entry e);

  std::vector<Entry> table_;  // size 0 or a power of two
  std::size_t size_ = 0;
};

}  // namespace crp
