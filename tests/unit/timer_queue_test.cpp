#include "adapter/engine/timer_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

namespace crp {
namespace {

TEST(TimerQueue, PopsEarliestFirstAndOnlyWhenDue) {
  TimerQueue q;
  q.set(0, 300);
  q.set(1, 100);
  q.set(2, 200);
  EXPECT_FALSE(q.pop_due(99).has_value());
  auto a = q.pop_due(1000);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->slot, 1u);
  EXPECT_EQ(q.pop_due(1000)->slot, 2u);
  EXPECT_EQ(q.pop_due(1000)->slot, 0u);
  EXPECT_TRUE(q.empty());
}

TEST(TimerQueue, EqualDeadlinesPopInSlotOrder) {
  TimerQueue q;
  for (TimerQueue::Slot s : {5u, 3u, 9u, 1u}) q.set(s, 42);
  std::vector<TimerQueue::Slot> order;
  while (auto e = q.pop_due(42)) order.push_back(e->slot);
  EXPECT_EQ(order, (std::vector<TimerQueue::Slot>{1, 3, 5, 9}));
}

TEST(TimerQueue, SetMovesAnExistingTimerEarlierOrLater) {
  TimerQueue q;
  q.set(0, 100);
  q.set(1, 200);
  q.set(1, 50);
  EXPECT_EQ(q.top().slot, 1u);
  q.set(1, 500);
  EXPECT_EQ(q.top().slot, 0u);
  EXPECT_EQ(q.size(), 2u);
}

TEST(TimerQueue, CancelRemovesOnlyThatSlot) {
  TimerQueue q;
  q.set(0, 100);
  q.set(1, 200);
  q.cancel(0);
  q.cancel(7);  // never set: no effect
  EXPECT_FALSE(q.contains(0));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.pop_due(1000)->slot, 1u);
}

TEST(TimerQueue, MatchesAReferenceModelUnderRandomOperations) {
  std::mt19937 rng(7);
  TimerQueue q;
  std::map<TimerQueue::Slot, std::int64_t> model;  // slot -> due
  auto model_earliest = [&]() {
    auto best = model.begin();
    for (auto it = model.begin(); it != model.end(); ++it) {
      if (it->second < best->second) best = it;  // map order breaks ties by slot
    }
    return best;
  };
  for (int i = 0; i < 50000; ++i) {
    TimerQueue::Slot slot = rng() % 500;
    switch (rng() % 3) {
      case 0: {
        std::int64_t due = rng() % 10000;
        q.set(slot, due);
        model[slot] = due;
        break;
      }
      case 1:
        q.cancel(slot);
        model.erase(slot);
        break;
      default: {
        std::int64_t now = rng() % 10000;
        auto popped = q.pop_due(now);
        if (model.empty() || model_earliest()->second > now) {
          ASSERT_FALSE(popped.has_value());
        } else {
          auto want = model_earliest();
          ASSERT_TRUE(popped.has_value());
          ASSERT_EQ(popped->slot, want->first);
          ASSERT_EQ(popped->due, want->second);
          model.erase(want);
        }
      }
    }
    ASSERT_EQ(q.size(), model.size());
  }
}

}  // namespace
}  // namespace crp
