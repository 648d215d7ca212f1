#include "adapter/runtime/admin/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace crp::admin {
namespace {

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::floor(v) && std::fabs(v) < 1e15) {
    out += std::to_string(static_cast<std::int64_t>(v));
  } else {
    // Shortest text that reads back as the same double: "0.1", not 0.10000000000000001.
    char text[32];
    const auto end = std::to_chars(text, text + sizeof text, v).ptr;
    out.append(text, end);
  }
}

// Label values are data (partner ids, stage ids): escape what the format
// reserves, backslash, double quote and line feed.
void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// `{a="x",b="y"}` (with an optional extra pair, the histogram's `le`), or
// nothing when there are no labels.
void append_labels(std::string& out, const std::vector<std::string>& names,
                   const LabelValues& values, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += names[i];
    out += "=\"";
    append_label_value(out, values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

bool valid_name(std::string_view name, bool label) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return !(label && name.starts_with("__"));
}

const char* type_name(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "untyped";
}

template <typename Metric>
std::unique_ptr<Metric> make_child(const std::vector<double>& buckets) {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    return std::make_unique<Histogram>(buckets);
  } else {
    (void)buckets;
    return std::make_unique<Metric>();
  }
}

}  // namespace

// ---- Histogram -------------------------------------------------------------

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
    throw std::invalid_argument("histogram bucket bounds must be strictly ascending");
  }
}

void Histogram::observe(double v) noexcept {
  // `le` is inclusive: an observation equal to a bound counts in that bucket.
  const auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                          bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.upper_bounds = bounds_;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  // Read without a lock while observations land: keep the output
  // self-consistent (count == +Inf bucket), which scrapers check.
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> default_latency_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

// ---- families --------------------------------------------------------------

FamilyBase::FamilyBase(std::string name, std::string help, std::vector<std::string> label_names,
                       MetricType type)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      type_(type) {
  if (!valid_name(name_, false)) throw std::invalid_argument("invalid metric name: " + name_);
  for (const std::string& label : label_names_) {
    if (!valid_name(label, true) || (type_ == MetricType::histogram && label == "le")) {
      throw std::invalid_argument("invalid label name " + label + " in metric " + name_);
    }
  }
}

void FamilyBase::check_arity(const LabelValues& values) const {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument("metric " + name_ + " takes " +
                                std::to_string(label_names_.size()) + " label values, not " +
                                std::to_string(values.size()));
  }
}

template <typename Metric>
Metric& Family<Metric>::with(const LabelValues& values) {
  check_arity(values);
  std::lock_guard lock(mutex_);
  auto& child = children_[values];
  if (!child) child = make_child<Metric>(buckets_);
  return *child;
}

template <typename Metric>
void Family<Metric>::zero_all() requires std::is_same_v<Metric, Gauge> {
  std::lock_guard lock(mutex_);
  for (auto& [labels, child] : children_) child->set(0);
}

template <typename Metric>
void Family<Metric>::render(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  append_help(out, help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += type_name(type_);
  out += '\n';
  std::lock_guard lock(mutex_);
  for (const auto& [labels, child] : children_) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      const Histogram::Snapshot s = child->snapshot();
      for (std::size_t i = 0; i <= s.upper_bounds.size(); ++i) {
        std::string le;
        if (i < s.upper_bounds.size()) {
          append_number(le, s.upper_bounds[i]);
        } else {
          le = "+Inf";
        }
        out += name_;
        out += "_bucket";
        append_labels(out, label_names_, labels, "le", le);
        out += ' ';
        out += std::to_string(s.cumulative[i]);
        out += '\n';
      }
      out += name_;
      out += "_sum";
      append_labels(out, label_names_, labels);
      out += ' ';
      append_number(out, s.sum);
      out += '\n';
      out += name_;
      out += "_count";
      append_labels(out, label_names_, labels);
      out += ' ';
      out += std::to_string(s.count);
      out += '\n';
    } else {
      out += name_;
      append_labels(out, label_names_, labels);
      out += ' ';
      if constexpr (std::is_same_v<Metric, Counter>) {
        out += std::to_string(child->value());
      } else {
        append_number(out, child->value());
      }
      out += '\n';
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- registry --------------------------------------------------------------

template <typename Metric>
Family<Metric>& MetricsRegistry::family(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names, MetricType type,
                                        std::vector<double> buckets) {
  std::lock_guard lock(mutex_);
  auto& slot = families_[name];
  if (!slot) {
    slot = std::make_unique<Family<Metric>>(name, help, std::move(label_names), type,
                                            std::move(buckets));
    return static_cast<Family<Metric>&>(*slot);
  }
  if (slot->type() != type || slot->label_names() != label_names || slot->help() != help) {
    throw std::logic_error("metric " + name +
                           " registered twice with a different type, help or labels");
  }
  return static_cast<Family<Metric>&>(*slot);
}

CounterFamily& MetricsRegistry::counter(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names) {
  return family<Counter>(name, help, std::move(label_names), MetricType::counter, {});
}

GaugeFamily& MetricsRegistry::gauge(const std::string& name, const std::string& help,
                                    std::vector<std::string> label_names) {
  return family<Gauge>(name, help, std::move(label_names), MetricType::gauge, {});
}

HistogramFamily& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                            std::vector<std::string> label_names,
                                            std::vector<double> upper_bounds) {
  Histogram check(upper_bounds);  // bad bounds fail here, not at the first with()
  return family<Histogram>(name, help, std::move(label_names), MetricType::histogram,
                           std::move(upper_bounds));
}

void MetricsRegistry::on_scrape(std::function<void()> refresh) {
  std::lock_guard lock(mutex_);
  refreshers_.push_back(std::move(refresh));
}

std::string MetricsRegistry::render() const {
  std::vector<std::function<void()>> refreshers;
  {
    std::lock_guard lock(mutex_);
    refreshers = refreshers_;
  }
  // Outside the lock: a refresher may register or look up families.
  for (const auto& refresh : refreshers) refresh();
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) family->render(out);
  return out;
}

}  // namespace crp::admin
