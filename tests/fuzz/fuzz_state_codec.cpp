// libFuzzer target for a changelog state decoder, built once per kind of state record:
// a challenge (decode_challenge), and with CRP_FUZZ_PLAN a watched plan under a
// "watch:<plan_id>" key (decode_plan). Every byte string is refused with a reason or
// decoded, never read out of bounds; a decoded state re-encodes to bytes that decode to
// the same encoding again (a challenge's version 2 is canonical).
#include <cstdint>
#include <string>
#include <string_view>

#ifdef CRP_FUZZ_PLAN
#include "adapter/engine/watch/plan_codec.h"
constexpr auto decode = &crp::decode_plan;
constexpr auto encode = &crp::encode_plan;
#else
#include "adapter/engine/challenge_codec.h"
constexpr auto decode = &crp::decode_challenge;
constexpr auto encode = &crp::encode_challenge;
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string error;
  const auto state = decode(bytes, error);
  if (!state) {
    if (error.empty()) __builtin_trap();  // a refusal must say why
    return 0;
  }
  const std::string once = encode(*state);
  const auto again = decode(once, error);
  if (!again || encode(*again) != once) __builtin_trap();
  return 0;
}
