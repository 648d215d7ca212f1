// Percent-encoding (RFC 3986 section 2.1) for the places a connector puts an id
// into a URL or a header token: every byte but ASCII letters, digits and the
// caller's `also_safe` characters becomes %XX, so an id can add no path, query,
// separator or other host.
#pragma once

#include <string>
#include <string_view>

namespace crp::connectors {

inline std::string percent_encode(std::string_view text, std::string_view also_safe) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (alnum || (c != 0 && also_safe.find(ch) != std::string_view::npos)) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace crp::connectors
