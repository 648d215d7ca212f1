// The metrics registry: the text it renders is Prometheus exposition 0.0.4
// (names, labels escaped, histogram buckets cumulative with +Inf == count),
// and concurrent increments lose nothing.
#include "adapter/runtime/admin/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace crp::admin {
namespace {

bool contains(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(MetricsRegistry, RendersCountersWithHelpTypeAndLabels) {
  MetricsRegistry m;
  auto& records = m.counter("crp_records_in_total", "Input records, by topic", {"topic"});
  records.with({"crp.commands"}).inc();
  records.with({"crp.commands"}).inc(2);
  records.with({"lcs.events"}).inc();
  const std::string text = m.render();
  EXPECT_TRUE(contains(text, "# HELP crp_records_in_total Input records, by topic\n"));
  EXPECT_TRUE(contains(text, "# TYPE crp_records_in_total counter\n"));
  EXPECT_TRUE(contains(text, "crp_records_in_total{topic=\"crp.commands\"} 3\n"));
  EXPECT_TRUE(contains(text, "crp_records_in_total{topic=\"lcs.events\"} 1\n"));
}

TEST(MetricsRegistry, UnlabelledMetricHasNoBraces) {
  MetricsRegistry m;
  m.counter("crp_transactions_committed_total", "Commits").with({}).inc(5);
  m.gauge("crp_pending_timers", "Timers").with({}).set(2.5);
  const std::string text = m.render();
  EXPECT_TRUE(contains(text, "\ncrp_transactions_committed_total 5\n"));
  EXPECT_TRUE(contains(text, "\ncrp_pending_timers 2.5\n"));
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
  MetricsRegistry m;
  m.gauge("g", "line one\nback\\slash", {"l"}).with({"a\"b\\c\nd"}).set(1);
  const std::string text = m.render();
  EXPECT_TRUE(contains(text, "# HELP g line one\\nback\\\\slash\n"));
  EXPECT_TRUE(contains(text, "g{l=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeAndEndWithInf) {
  MetricsRegistry m;
  auto& h = m.histogram("crp_webhook_latency_seconds", "Latency", {"partner"}, {0.25, 1});
  auto& police = h.with({"police"});
  police.observe(0.125);
  police.observe(0.25);  // `le` is inclusive
  police.observe(0.5);
  police.observe(7);
  const std::string text = m.render();
  EXPECT_TRUE(contains(text, "# TYPE crp_webhook_latency_seconds histogram\n"));
  EXPECT_TRUE(
      contains(text, "crp_webhook_latency_seconds_bucket{partner=\"police\",le=\"0.25\"} 2\n"))
      << text;
  EXPECT_TRUE(
      contains(text, "crp_webhook_latency_seconds_bucket{partner=\"police\",le=\"1\"} 3\n"));
  EXPECT_TRUE(
      contains(text, "crp_webhook_latency_seconds_bucket{partner=\"police\",le=\"+Inf\"} 4\n"));
  EXPECT_TRUE(contains(text, "crp_webhook_latency_seconds_sum{partner=\"police\"} 7.875\n"))
      << text;
  EXPECT_TRUE(contains(text, "crp_webhook_latency_seconds_count{partner=\"police\"} 4\n"));
}

TEST(MetricsRegistry, SameNameReturnsTheSameFamilyButRejectsAConflict) {
  MetricsRegistry m;
  auto& a = m.counter("c_total", "help", {"partner"});
  auto& b = m.counter("c_total", "help", {"partner"});
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(&a.with({"x"}), &b.with({"x"}));
  EXPECT_THROW(m.counter("c_total", "help", {"other"}), std::logic_error);
  EXPECT_THROW(m.gauge("c_total", "help", {"partner"}), std::logic_error);
}

TEST(MetricsRegistry, RejectsBadNamesAndWrongLabelCounts) {
  MetricsRegistry m;
  EXPECT_THROW(m.counter("1bad", "h"), std::invalid_argument);
  EXPECT_THROW(m.counter("bad-name", "h"), std::invalid_argument);
  EXPECT_THROW(m.counter("ok", "h", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(m.histogram("hist", "h", {"le"}), std::invalid_argument);
  EXPECT_THROW(m.histogram("hist2", "h", {}, {1, 0.5}), std::invalid_argument);
  auto& f = m.counter("two_total", "h", {"a", "b"});
  EXPECT_THROW(f.with({"only-one"}), std::invalid_argument);
}

TEST(MetricsRegistry, ScrapeHooksRunBeforeRenderAndZeroAllKeepsChildren) {
  MetricsRegistry m;
  auto& open = m.gauge("open", "h", {"stage"});
  Gauge& stage1 = open.with({"stage-1"});
  int scrapes = 0;
  m.on_scrape([&] {
    ++scrapes;
    open.zero_all();
    open.with({"stage-2"}).set(scrapes);
  });
  stage1.set(4);
  const std::string first = m.render();
  EXPECT_EQ(scrapes, 1);
  EXPECT_TRUE(contains(first, "open{stage=\"stage-1\"} 0\n")) << first;
  EXPECT_TRUE(contains(first, "open{stage=\"stage-2\"} 1\n"));
  EXPECT_TRUE(contains(m.render(), "open{stage=\"stage-2\"} 2\n"));
  stage1.set(3);  // the reference held across zero_all is still the child
  EXPECT_EQ(open.with({"stage-1"}).value(), 3);
}

TEST(MetricsRegistry, ConcurrentIncrementsAreAllCounted) {
  MetricsRegistry m;
  auto& family = m.counter("hits_total", "h", {"partner"});
  auto& hist = m.histogram("lat", "h", {"partner"});
  constexpr int kThreads = 4, kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        family.with({t % 2 ? "a" : "b"}).inc();
        hist.with({"a"}).observe(0.001);
        if (i % 1000 == 0) (void)m.render();  // scrapes race the writers
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(family.with({"a"}).value() + family.with({"b"}).value(),
            static_cast<std::uint64_t>(kThreads * kEach));
  EXPECT_TRUE(contains(m.render(), "lat_count{partner=\"a\"} 80000\n"));
}

TEST(MetricsRegistry, FamiliesRenderInNameOrder) {
  MetricsRegistry m;
  m.counter("zeta_total", "z").with({}).inc();
  m.counter("alpha_total", "a").with({}).inc();
  const std::string text = m.render();
  EXPECT_LT(text.find("alpha_total"), text.find("zeta_total"));
}

}  // namespace
}  // namespace crp::admin
