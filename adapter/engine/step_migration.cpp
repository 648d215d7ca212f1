// A challenge restored under a newer protocol version by that version's
// migration (adapter/engine/protocol_placement.h): the move is announced, and
// recorded in its history, so the board report and the people reading the
// escalations topic see which rules it runs under from now on.
#include "adapter/engine/step.h"

namespace crp {

void Engine::Step::on_migrated(int from_version, const std::string& from_stage) {
  LifecycleEvent ev;
  ev.type = "challenge.protocol_migrated";
  ev.from_stage = from_stage;
  ev.stage = c_.stage;
  if (!c_.stage.empty()) ev.stage_label = current().label_for(c_.track);
  ev.due_at = c_.due_at;
  ev.previous_protocol_version = from_version;
  ev.protocol_version = c_.protocol_version;
  lifecycle(std::move(ev), now_);
}

}  // namespace crp
