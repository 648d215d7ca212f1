#include "adapter/runtime/report/svg_chart.h"

#include <algorithm>

namespace crp::report {
namespace {

constexpr int kWidth = 720;
constexpr int kLabelWidth = 300;  // the labels' column; bars start after it
constexpr int kBarSpace = 360;    // the longest bar
constexpr int kRow = 28;
constexpr int kBarHeight = 18;
constexpr std::size_t kMaxLabel = 38;  // longer labels are cut; the full text is the bar's <title>

std::string cut(const std::string& label) {
  if (label.size() <= kMaxLabel) return label;
  std::size_t n = kMaxLabel - 1;
  while (n > 0 && (static_cast<unsigned char>(label[n]) & 0xC0) == 0x80)
    --n;  // not inside a UTF-8 sequence
  return label.substr(0, n) + "\u2026";
}

}  // namespace

std::string escape_xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string svg_bar_chart(std::string_view title, const std::vector<Bar>& bars) {
  std::int64_t max = 0;
  for (const Bar& b : bars) {
    if (b.shown.empty()) max = std::max(max, b.value);
  }
  const int height = static_cast<int>(bars.size()) * kRow + 8;
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" +
                  std::to_string(kWidth) + "\" height=\"" + std::to_string(height) +
                  "\" viewBox=\"0 0 " + std::to_string(kWidth) + " " + std::to_string(height) +
                  "\" role=\"img\" aria-label=\"" + escape_xml(title) + "\">\n";
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const int y = static_cast<int>(i) * kRow + 4;
    const bool hidden = !b.shown.empty();
    const std::string figure = hidden ? b.shown : std::to_string(b.value);
    const int length = hidden || max == 0 ? 0
                                          : static_cast<int>(std::max<std::int64_t>(
                                                b.value > 0 ? 2 : 0, b.value * kBarSpace / max));
    const std::string text_y = std::to_string(y + kBarHeight - 4);
    s += "<g class=\"bar\" data-key=\"" + escape_xml(b.key) + "\" data-value=\"" +
         escape_xml(figure) + "\">";
    s += "<title>" + escape_xml(b.label) + ": " + escape_xml(figure) + "</title>";
    s += "<text class=\"label\" x=\"" + std::to_string(kLabelWidth - 8) + "\" y=\"" + text_y +
         "\" text-anchor=\"end\">" + escape_xml(cut(b.label)) + "</text>";
    s += "<rect class=\"" + escape_xml(b.css_class) + "\" x=\"" + std::to_string(kLabelWidth) +
         "\" y=\"" + std::to_string(y) + "\" width=\"" + std::to_string(length) + "\" height=\"" +
         std::to_string(kBarHeight) + "\"/>";
    s += "<text class=\"value\" x=\"" + std::to_string(kLabelWidth + length + 6) + "\" y=\"" +
         text_y + "\">" + escape_xml(figure) + "</text>";
    s += "</g>\n";
  }
  return s + "</svg>";
}

}  // namespace crp::report
