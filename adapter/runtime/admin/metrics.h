// Prometheus metrics for the live service: counters, gauges and histograms,
// each a family with fixed label names and one child per label-value set.
//
// Usage (cheap on hot paths: look the child up once, keep the reference,
// then every increment is one relaxed atomic add; children never move and
// are never freed while the registry lives):
//
//   admin::MetricsRegistry& m = ...;  // ONE per process: run_service (adapter/app/run_command.cpp)
//                                     // owns it and passes it by reference; CMake: crp_admin
//   admin::Counter& sent = m.counter("crp_webhook_attempts_total",
//                                    "Webhook delivery attempts", {"partner"})
//                               .with({"lscb-police"});
//   sent.inc();
//   m.histogram("crp_webhook_latency_seconds", "...", {"partner"})
//       .with({"lscb-police"}).observe(0.042);
//
// Registering the same name twice returns the same family (the help text
// and label names must match, else std::logic_error): independent parts can
// each ask for the family they write to. All calls are thread-safe.
// render() writes the Prometheus text exposition format 0.0.4.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace crp::admin {

// Monotonic count of events (name ends in _total by convention).
class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down, or is set at scrape time.
class Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double v) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into cumulative buckets (upper bounds, ascending;
// +Inf is implicit), with their sum and count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v) noexcept;

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bound + 1 for +Inf, not cumulative
  std::atomic<double> sum_{0};
  std::atomic<std::uint64_t> count_{0};
};

// Latency buckets in seconds, 5 ms to 30 s: webhook calls, HTTP requests.
std::vector<double> default_latency_buckets();

using LabelValues = std::vector<std::string>;

enum class MetricType { counter, gauge, histogram };

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names,
             MetricType type);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  MetricType type() const { return type_; }
  virtual void render(std::string& out) const = 0;

 protected:
  void check_arity(const LabelValues& values) const;  // std::invalid_argument if wrong

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const MetricType type_;
};

template <typename Metric>
class Family final : public FamilyBase {
 public:
  using FamilyBase::FamilyBase;
  Family(std::string name, std::string help, std::vector<std::string> label_names, MetricType type,
         std::vector<double> buckets)
      : FamilyBase(std::move(name), std::move(help), std::move(label_names), type),
        buckets_(std::move(buckets)) {}

  // The child for these label values (one per label name, in order),
  // created on first use. The reference stays valid for the family's life.
  Metric& with(const LabelValues& values);
  Metric& with(std::initializer_list<std::string_view> values) {
    return with(LabelValues(values.begin(), values.end()));
  }
  // Sets every existing child's value to zero (gauges recomputed at scrape
  // time: a protocol/stage with no open challenge left shows 0, and any
  // reference held elsewhere stays valid).
  void zero_all() requires std::is_same_v<Metric, Gauge>;

  void render(std::string& out) const override;

 private:
  mutable std::mutex mutex_;
  std::map<LabelValues, std::unique_ptr<Metric>> children_;
  std::vector<double> buckets_;  // histograms only
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  CounterFamily& counter(const std::string& name, const std::string& help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& gauge(const std::string& name, const std::string& help,
                     std::vector<std::string> label_names = {});
  HistogramFamily& histogram(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names = {},
                             std::vector<double> upper_bounds = default_latency_buckets());

  // Runs before every render(), on the scraping thread: where gauges that
  // mirror other state (lag, open challenges, RSS) are brought up to date.
  void on_scrape(std::function<void()> refresh);

  // Text exposition format 0.0.4, families in name order.
  std::string render() const;

 private:
  template <typename Metric>
  Family<Metric>& family(const std::string& name, const std::string& help,
                         std::vector<std::string> label_names, MetricType type,
                         std::vector<double> buckets);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;
  std::vector<std::function<void()>> refreshers_;
};

}  // namespace crp::admin
