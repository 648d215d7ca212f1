// The process exit codes a Kafka client may end the process with. They sit
// here, below the `run` wiring, because the event logger exits on a credential
// failure (decision 0022) from any client, `run`'s or a CLI command's.
#pragma once

namespace crp::kafka {

inline constexpr int kExitFatal = 1;
inline constexpr int kExitFenced = 4;  // another instance took over our transactional.id
// A CRP_TEST_* variable set for a binary built without the test hooks (test_hooks.h).
inline constexpr int kExitTestHooksRefused = 6;

}  // namespace crp::kafka
