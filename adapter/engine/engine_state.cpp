// The engine's state records: challenges and watched plans share the
// changelog, told apart by key (a plan's is "watch:<plan_id>").
#include "adapter/engine/challenge_codec.h"
#include "adapter/engine/engine.h"
#include "adapter/engine/watch/plan_codec.h"

namespace crp {
namespace {

bool is_plan_key(std::string_view key) {
  return key.starts_with(kPlanKeyPrefix);
}

std::string plan_id_of(std::string_view key) {
  return std::string(key.substr(kPlanKeyPrefix.size()));
}

}  // namespace

void Engine::assume_calendar(std::shared_ptr<const ProtocolSet> before) {
  protocols_ = before;
  watch_.set_protocols(std::move(before));
}

const std::string* Engine::counted(std::string_view key) const {
  auto it = counted_.find(key);
  return it == counted_.end() ? nullptr : &it->second;
}

void Engine::set_counted(std::string_view key, std::string text) {
  auto it = counted_.find(key);
  if (it != counted_.end() && it->second == text) return;
  counted_.insert_or_assign(std::string(key), std::move(text));
  counted_dirty_.emplace_back(key);
}

std::string Engine::encode_state(const std::string& key) const {
  if (is_counted_key(key)) {
    const std::string* text = counted(key);
    return text ? *text : std::string();
  }
  if (is_plan_key(key)) {
    const WatchedPlan* p = watch_.find(plan_id_of(key));
    return p ? encode_plan(*p) : std::string();
  }
  const Challenge* c = find(key);
  return c ? encode_challenge(*c) : std::string();
}

bool Engine::restore_state(std::string_view key, std::string_view value, std::string& error) {
  if (is_counted_key(key)) {
    counted_.insert_or_assign(std::string(key), std::string(value));
    return true;
  }
  if (is_plan_key(key)) {
    auto plan = decode_plan(value, error);
    if (!plan) return false;
    watch_.restore(std::move(*plan));
    return true;
  }
  auto challenge = decode_challenge(value, error);
  if (!challenge) return false;
  restore(std::move(*challenge));
  return true;
}

void Engine::drop_state(std::string_view key) {
  if (is_counted_key(key)) {
    counted_.erase(std::string(key));
    return;
  }
  if (is_plan_key(key)) return watch_.drop(plan_id_of(key));
  drop(std::string(key));
}

void Engine::link_finding(const InboundEvent& e, Instant now, Effects& produced) {
  // The challenge's first lifecycle event names the finding it takes up; the
  // plan, when watched here, records who took it up.
  for (Effect& eff : produced) {
    if (auto* ev = std::get_if<LifecycleEvent>(&eff.what)) {
      ev->finding_id = e.finding_id;
      break;
    }
  }
  watch_.take_up(e.finding_id, e.challenge_id, now, produced);
}

}  // namespace crp
