#include "connectors/debezium/container_skip.h"

#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace crp::connectors::debezium {
namespace {

constexpr std::size_t npos = std::string_view::npos;

struct ScanState {
  std::size_t depth = 0;
  bool in_string = false;
};

// Steps over text[pos, stop), one byte at a time. Returns the position past
// the closing bracket once the depth is back to zero, else npos with `pos` at
// or past `stop` (one past when a backslash was the range's last byte: the
// byte it hides belongs to the string whichever range it is in).
std::size_t scan_bytes(std::string_view text, std::size_t& pos, std::size_t stop, ScanState& s) {
  while (pos < stop) {
    const char c = text[pos];
    if (s.in_string) {
      if (c == '"') {
        s.in_string = false;
      } else if (c == '\\') {
        ++pos;  // the escaped byte, whatever it is, cannot end the string
      }
    } else if (c == '"') {
      s.in_string = true;
    } else if (c == '{' || c == '[') {
      ++s.depth;
    } else if (c == '}' || c == ']') {
      if (--s.depth == 0) return pos + 1;
    }
    ++pos;
  }
  return npos;
}

#if defined(__SSE2__)

constexpr std::size_t kBlock = 64;

// Bit i of each mask is set when byte i of the 64-byte block at `p` is that
// character; `backslash` only says whether the block holds one. `[` and `{`
// (0x5B, 0x7B) differ only in bit 0x20, as do `]` and `}` (0x5D, 0x7D), and no
// other byte ORed with 0x20 gives 0x7B or 0x7D, so one comparison finds each pair.
struct BlockMasks {
  std::uint64_t quote = 0, open = 0, close = 0;
  bool backslash = false;
};

std::uint64_t bits(__m128i eq0, __m128i eq1, __m128i eq2, __m128i eq3) {
  auto word = [](__m128i eq) {
    return static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(eq)));
  };
  return word(eq0) | word(eq1) << 16 | word(eq2) << 32 | word(eq3) << 48;
}

BlockMasks classify(const char* p) {
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i open = _mm_set1_epi8('{');
  const __m128i close = _mm_set1_epi8('}');
  const __m128i fold = _mm_set1_epi8(0x20);
  const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
  const __m128i v2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 32));
  const __m128i v3 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 48));
  const __m128i f0 = _mm_or_si128(v0, fold), f1 = _mm_or_si128(v1, fold);
  const __m128i f2 = _mm_or_si128(v2, fold), f3 = _mm_or_si128(v3, fold);
  BlockMasks m;
  m.quote = bits(_mm_cmpeq_epi8(v0, quote), _mm_cmpeq_epi8(v1, quote), _mm_cmpeq_epi8(v2, quote),
                 _mm_cmpeq_epi8(v3, quote));
  m.open = bits(_mm_cmpeq_epi8(f0, open), _mm_cmpeq_epi8(f1, open), _mm_cmpeq_epi8(f2, open),
                _mm_cmpeq_epi8(f3, open));
  m.close = bits(_mm_cmpeq_epi8(f0, close), _mm_cmpeq_epi8(f1, close), _mm_cmpeq_epi8(f2, close),
                 _mm_cmpeq_epi8(f3, close));
  const __m128i any_backslash =
      _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v0, backslash), _mm_cmpeq_epi8(v1, backslash)),
                   _mm_or_si128(_mm_cmpeq_epi8(v2, backslash), _mm_cmpeq_epi8(v3, backslash)));
  m.backslash = _mm_movemask_epi8(any_backslash) != 0;
  return m;
}

// Bit i of the result is the XOR of bits 0..i of x.
std::uint64_t prefix_xor(std::uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

#endif

}  // namespace

std::size_t skip_container_bytewise(std::string_view text, std::size_t pos) {
  ScanState s;
  return scan_bytes(text, pos, text.size(), s);
}

std::size_t skip_container(std::string_view text, std::size_t pos) {
  ScanState s;
#if defined(__SSE2__)
  const std::size_t n = text.size();
  while (pos <= n && n - pos >= kBlock) {
    const BlockMasks m = classify(text.data() + pos);
    if (m.backslash) {
      // Escapes are rare (none in a Connect schema): this block goes byte by
      // byte, which also keeps a backslash outside a string a plain byte.
      const std::size_t end = scan_bytes(text, pos, pos + kBlock, s);
      if (end != npos) return end;
      continue;
    }
    // With no backslash every quote opens or closes a string, so the bytes
    // inside strings are those after an odd number of quotes (counting the
    // opening quote, not the closing one), flipped if the block began inside.
    const std::uint64_t inside = prefix_xor(m.quote) ^ (s.in_string ? ~std::uint64_t{0} : 0);
    std::uint64_t brackets = (m.open | m.close) & ~inside;
    while (brackets != 0) {
      const int i = __builtin_ctzll(brackets);
      if ((m.open >> i) & 1) {
        ++s.depth;
      } else if (--s.depth == 0) {
        return pos + static_cast<std::size_t>(i) + 1;
      }
      brackets &= brackets - 1;
    }
    s.in_string = (inside >> 63) != 0;
    pos += kBlock;
  }
#endif
  return scan_bytes(text, pos, text.size(), s);
}

}  // namespace crp::connectors::debezium
