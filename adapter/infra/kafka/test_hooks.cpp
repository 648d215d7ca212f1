#include "adapter/infra/kafka/test_hooks.h"

#include <array>
#include <cstdlib>

#ifndef CRP_TEST_HOOKS
#define CRP_TEST_HOOKS 0
#endif

namespace crp::kafka {
namespace {

constexpr std::array<const char*, 3> kVariables = {"CRP_TEST_ABORT_EVERY_NTH_TRANSACTION",
                                                   "CRP_TEST_CLOCK_OFFSET_SECONDS",
                                                   "CRP_TEST_RESTORE_DELAY_MS"};

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

bool test_hooks_built() {
  return CRP_TEST_HOOKS != 0;
}

std::vector<std::string> test_hook_variables_set() {
  std::vector<std::string> set;
  for (const char* name : kVariables) {
    if (std::getenv(name)) set.emplace_back(name);
  }
  return set;
}

TestHooksRefused::TestHooksRefused(std::vector<std::string> variables)
    : std::runtime_error(
          "test hooks are not built into this binary (CMake option CRP_TEST_HOOKS): "
          "refusing to start with " +
          joined(variables) + " set"),
      variables_(std::move(variables)) {}

TestHooks read_test_hooks(bool built) {
  TestHooks hooks;
  if (!built) {
    if (std::vector<std::string> set = test_hook_variables_set(); !set.empty()) {
      throw TestHooksRefused(std::move(set));
    }
    return hooks;
  }
  // Abort every Nth transaction instead of committing it, to prove rewind and
  // rebuild; run the wall clock ahead, to let deadlines pass while the service
  // is down; hold every restore back, to observe /readyz answering 503 meanwhile.
  if (const char* every = std::getenv("CRP_TEST_ABORT_EVERY_NTH_TRANSACTION")) {
    hooks.abort_every_nth_transaction = std::atoi(every);
  }
  if (const char* offset = std::getenv("CRP_TEST_CLOCK_OFFSET_SECONDS")) {
    hooks.clock_offset = std::chrono::seconds(std::atoll(offset));
  }
  if (const char* delay = std::getenv("CRP_TEST_RESTORE_DELAY_MS")) {
    hooks.restore_delay = std::chrono::milliseconds(std::atoll(delay));
  }
  return hooks;
}

}  // namespace crp::kafka
