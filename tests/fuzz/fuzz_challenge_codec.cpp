// libFuzzer target for the changelog state decoder (decode_challenge): every
// byte string is refused with a reason or decoded, never read out of bounds;
// a decoded state re-encodes to bytes that decode to the same encoding again
// (version 2 is canonical). Input: a changelog record value, either version.
#include <string>
#include <string_view>

#include "adapter/engine/challenge_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string error;
  const auto challenge = crp::decode_challenge(bytes, error);
  if (!challenge) {
    if (error.empty()) __builtin_trap();
    return 0;
  }
  const std::string once = crp::encode_challenge(*challenge);
  const auto again = crp::decode_challenge(once, error);
  if (!again || crp::encode_challenge(*again) != once) __builtin_trap();
  return 0;
}
