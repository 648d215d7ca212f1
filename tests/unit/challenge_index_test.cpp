#include "adapter/engine/challenge_index.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>

namespace crp {
namespace {

// The index against std::unordered_map over random inserts, finds and erases:
// growth from empty, wrap-around at the table's end, and backward-shift
// deletion in long probe runs (few distinct ids, many collisions mod a small
// table).
TEST(ChallengeIndex, BehavesLikeAMap) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    const int distinct = seed % 2 ? 50 : 5000;
    ChallengeIndex index;
    std::vector<Challenge> slots;
    std::vector<ChallengeIndex::Slot> free;
    std::unordered_map<std::string, ChallengeIndex::Slot> reference;
    for (int op = 0; op < 20000; ++op) {
      const std::string id = "C-" + std::to_string(rng() % distinct);
      const auto expected = reference.find(id);
      const ChallengeIndex::Slot found = index.find(id, slots);
      ASSERT_EQ(found, expected == reference.end() ? ChallengeIndex::kNone : expected->second)
          << "seed " << seed << " op " << op << " id " << id;
      if (rng() % 3 == 0) {
        ASSERT_EQ(index.erase(id, slots), found);
        if (found != ChallengeIndex::kNone) {
          slots[found] = Challenge{};
          free.push_back(found);
          reference.erase(id);
        }
      } else if (found == ChallengeIndex::kNone) {
        ChallengeIndex::Slot slot;
        if (!free.empty()) {
          slot = free.back();
          free.pop_back();
        } else {
          slot = static_cast<ChallengeIndex::Slot>(slots.size());
          slots.emplace_back();
        }
        slots[slot].id = id;
        index.insert(id, slot);
        reference[id] = slot;
      }
      ASSERT_EQ(index.size(), reference.size());
    }
    std::size_t visited = 0;
    index.for_each_slot([&](ChallengeIndex::Slot s) {
      ASSERT_EQ(reference.at(slots[s].id), s);
      ++visited;
    });
    EXPECT_EQ(visited, reference.size());
  }
}

TEST(ChallengeIndex, ReserveMakesRoomWithoutGrowing) {
  ChallengeIndex index;
  index.reserve(1000);
  const std::size_t bytes = index.memory_bytes();
  std::vector<Challenge> slots(1000);
  for (ChallengeIndex::Slot s = 0; s < 1000; ++s) {
    slots[s].id = "id-" + std::to_string(s);
    index.insert(slots[s].id, s);
  }
  EXPECT_EQ(index.memory_bytes(), bytes);
  EXPECT_LE(bytes, 2048u * 8u);  // 8 bytes an entry, at most 7/8 full
  for (ChallengeIndex::Slot s = 0; s < 1000; ++s) EXPECT_EQ(index.find(slots[s].id, slots), s);
  EXPECT_EQ(index.find("id-1000", slots), ChallengeIndex::kNone);
}

}  // namespace
}  // namespace crp
