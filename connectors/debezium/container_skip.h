// Finds where a JSON object or array ends in raw text, without parsing it:
// brackets are counted outside strings. This is the loop that decides how
// fast rows of unlisted tables are dropped: with the Connect schema wrapper
// it runs over ~2 KB of schema per record just to find where the schema ends
// (docs/benchmarks.md, "Connectors"; decision 0059).
//
// Both functions accept any bytes and agree on every input, valid JSON or not
// (tests/unit/debezium_container_skip_test.cpp compares them, and so does the
// fuzz target through the envelope scan): `[` and `{` open, `]` and `}` close
// without being matched against each other, a `"` outside a string opens one,
// and inside a string a backslash hides the byte after it.
#pragma once

#include <cstddef>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace crp::connectors::debezium {

// text[pos] is `{` or `[`. Returns the position just past the bracket that
// brings the depth back to zero, or npos when the text ends first.
// Classifies 64 bytes at a time with SSE2 where available.
std::size_t skip_container(std::string_view text, std::size_t pos);

// The same, one byte at a time: the reference skip_container must agree with.
std::size_t skip_container_bytewise(std::string_view text, std::size_t pos);

// The position of the first `"` or `\` at or after `pos`, or text.size()
// (16 bytes at a time with SSE2): how a string token is read to its end.
// Inline: it runs once per key and string value, most shorter than 16 bytes.
inline std::size_t next_quote_or_backslash(std::string_view text, std::size_t pos) {
  const std::size_t n = text.size();
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  while (pos <= n && n - pos >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + pos));
    const int hit =
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    if (hit != 0) return pos + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(hit)));
    pos += 16;
  }
#endif
  while (pos < n && text[pos] != '"' && text[pos] != '\\') ++pos;
  return pos < n ? pos : n;
}

}  // namespace crp::connectors::debezium
