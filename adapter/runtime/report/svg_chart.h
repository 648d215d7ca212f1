// A horizontal bar chart as inline SVG: every bar carries its label and its
// figure as text (readable when printed, and assertable in the DOM).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crp::report {

struct Bar {
  std::string key;    // data-key of the bar
  std::string label;  // shown left of the bar
  std::int64_t value = 0;
  std::string css_class = "bar-default";  // the fill, from the page's stylesheet
  // The figure as printed: "<5" or "x" when suppressed (then no bar is drawn,
  // so its length cannot give the value away); empty: the value itself.
  std::string shown;
};

// `title` names the chart for screen readers (aria-label).
std::string svg_bar_chart(std::string_view title, const std::vector<Bar>& bars);

// Escapes text for HTML and SVG content and attribute values.
std::string escape_xml(std::string_view text);

}  // namespace crp::report
