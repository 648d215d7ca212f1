// The CRP_TEST_* fault injection hooks (adapter/infra/kafka/test_hooks.h):
// read in a CRP_TEST_HOOKS build, refused by name in any other.
#include "adapter/infra/kafka/test_hooks.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace crp::kafka {
namespace {

class TestHooksEnv : public ::testing::Test {
 protected:
  void SetUp() override { clear(); }
  void TearDown() override { clear(); }
  static void clear() {
    ::unsetenv("CRP_TEST_ABORT_EVERY_NTH_TRANSACTION");
    ::unsetenv("CRP_TEST_CLOCK_OFFSET_SECONDS");
    ::unsetenv("CRP_TEST_RESTORE_DELAY_MS");
  }
};

TEST_F(TestHooksEnv, NoneSetNothingActiveInEitherBuild) {
  EXPECT_FALSE(read_test_hooks(true).active());
  EXPECT_FALSE(read_test_hooks(false).active());
  EXPECT_TRUE(test_hook_variables_set().empty());
}

TEST_F(TestHooksEnv, ReadInABuildWithTheHooks) {
  ::setenv("CRP_TEST_ABORT_EVERY_NTH_TRANSACTION", "7", 1);
  ::setenv("CRP_TEST_CLOCK_OFFSET_SECONDS", "86400", 1);
  ::setenv("CRP_TEST_RESTORE_DELAY_MS", "1500", 1);
  const TestHooks hooks = read_test_hooks(true);
  EXPECT_TRUE(hooks.active());
  EXPECT_EQ(hooks.abort_every_nth_transaction, 7);
  EXPECT_EQ(hooks.clock_offset, std::chrono::seconds(86400));
  EXPECT_EQ(hooks.restore_delay, std::chrono::milliseconds(1500));
}

TEST_F(TestHooksEnv, EachRefusedByNameInABuildWithout) {
  for (const char* name : {"CRP_TEST_ABORT_EVERY_NTH_TRANSACTION", "CRP_TEST_CLOCK_OFFSET_SECONDS",
                           "CRP_TEST_RESTORE_DELAY_MS"}) {
    clear();
    ::setenv(name, "0", 1);  // even a value that would do nothing: set is set
    try {
      read_test_hooks(false);
      ADD_FAILURE() << name << " was not refused";
    } catch (const TestHooksRefused& e) {
      EXPECT_EQ(e.variables(), std::vector<std::string>{name});
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("CRP_TEST_HOOKS"), std::string::npos) << e.what();
    }
  }
}

TEST_F(TestHooksEnv, ThisBuildMatchesItsOption) {
#ifdef CRP_EXPECT_TEST_HOOKS
  EXPECT_TRUE(test_hooks_built());
#else
  EXPECT_FALSE(test_hooks_built());
#endif
}

}  // namespace
}  // namespace crp::kafka
