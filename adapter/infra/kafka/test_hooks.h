// Test-only fault injection for the end-to-end tests (tests/integration/e2e_*),
// read from CRP_TEST_* environment variables. Compiled in only with the CMake
// option CRP_TEST_HOOKS (scripts/test's builds); a build without it (release,
// Docker) refuses to start when one of them is set instead of ignoring it.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace crp::kafka {

struct TestHooks {
  int abort_every_nth_transaction = 0;         // CRP_TEST_ABORT_EVERY_NTH_TRANSACTION
  std::chrono::seconds clock_offset{0};        // CRP_TEST_CLOCK_OFFSET_SECONDS
  std::chrono::milliseconds restore_delay{0};  // CRP_TEST_RESTORE_DELAY_MS
  bool active() const {
    return abort_every_nth_transaction > 0 || clock_offset.count() != 0 ||
           restore_delay.count() != 0;
  }
};

// Whether this binary was built with CRP_TEST_HOOKS.
bool test_hooks_built();

// The CRP_TEST_* hook variables set in the environment, by name.
std::vector<std::string> test_hook_variables_set();

class TestHooksRefused : public std::runtime_error {
 public:
  explicit TestHooksRefused(std::vector<std::string> variables);
  const std::vector<std::string>& variables() const { return variables_; }

 private:
  std::vector<std::string> variables_;
};

// The hooks from the environment when `built`; without them, none, or
// TestHooksRefused naming the variables that are set.
TestHooks read_test_hooks(bool built = test_hooks_built());

}  // namespace crp::kafka
