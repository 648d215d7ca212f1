// FNV-1a, 64-bit: the engine's digest of event ids and event content. Not
// cryptographic; chosen because it is tiny and stable across releases (its
// values are kept in state records, so it must never change).
#pragma once

#include <cstdint>
#include <string_view>

namespace crp {

inline constexpr std::uint64_t kFnv1a64Basis = 14695981039346656037ull;

// Continues the digest `h` over `bytes` (start from kFnv1a64Basis).
constexpr std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t h = kFnv1a64Basis) {
  for (unsigned char ch : bytes) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace crp
