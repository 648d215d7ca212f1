// What the email connector needs of the service config (the `email` block,
// the role directory), and nothing else: connectors sit below the runtime
// and never see the whole ServiceConfig (docs/decisions/0051).
#pragma once

#include <map>
#include <string>

#include "connectors/email/role_directory.h"

namespace crp::connectors::email {

struct EmailSettings {
  // Notify template id by "protocol.stage.kind", "protocol.kind" or "kind" (most specific wins).
  std::map<std::string, std::string> templates;
  std::string case_link;    // "{case_id}" replaced
  RoleDirectory directory;  // role -> mailbox by team / locality / default
};

}  // namespace crp::connectors::email
