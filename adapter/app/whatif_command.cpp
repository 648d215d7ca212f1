#include "adapter/app/whatif_command.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <streambuf>

#include "adapter/json/json.h"
#include "adapter/runtime/replay.h"
#include "adapter/runtime/report/fact_source.h"
#include "adapter/runtime/report/report_command.h"
#include "adapter/runtime/service_config.h"
#include "adapter/runtime/whatif/comparison.h"
#include "adapter/runtime/whatif/render.h"

namespace crp::cli {
namespace {

// Replay's output as it is printed, keeping only the facts topic's lines: a
// history of years prints far more escalations, emails and case notes than
// facts, and none of those is needed here.
class FactLines : public std::streambuf {
 public:
  explicit FactLines(const std::string& facts_topic)
      : prefix_("{\"topic\":\"" + facts_topic + "\",") {}  // a Kafka topic name: no escapes
  const std::string& lines() const { return kept_; }

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) put(static_cast<char>(c));
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    for (std::streamsize i = 0; i < n; ++i) put(s[i]);
    return n;
  }

 private:
  void put(char c) {
    line_.push_back(c);
    if (c != '\n') return;
    if (line_.compare(0, prefix_.size(), prefix_) == 0) kept_ += line_;
    line_.clear();
  }
  std::string prefix_;
  std::string line_;
  std::string kept_;
};

// A null stream for replay's per-record problems: each run would print the
// same ones, so the summary counts dead letters per configuration instead.
class Discard : public std::streambuf {
 protected:
  int_type overflow(int_type c) override { return traits_type::not_eof(c); }
};

struct Run {
  whatif::Tally tally;
  std::size_t records = 0;
  std::size_t dead_letters = 0;
  std::size_t unreadable_facts = 0;
};

Run replay_under(const ServiceConfig& config, const std::string& history,
                 std::optional<Instant> until) {
  json::set_record_limits(config.record_limits);  // each configuration's own `limits`
  std::istringstream in(history);
  FactLines facts(config.topics.facts);
  std::ostream out(&facts);
  Discard discard;
  std::ostream err(&discard);
  const ReplayStats stats = replay(config, in, out, err, until);
  out.flush();
  std::istringstream lines(facts.lines());
  const report::FactSet set = report::read_facts_jsonl(lines, config.topics.facts);
  return {whatif::tally(set), stats.records, stats.dead_lettered, set.problems.size()};
}

whatif::StageOrder stage_order(const ServiceConfig& baseline, const ServiceConfig& variant) {
  whatif::StageOrder order;
  for (const ServiceConfig* c : {&baseline, &variant}) {
    for (const auto& [id, rt] : c->protocols->all()) {
      auto& stages = order[id];
      for (const Stage& s : rt.protocol.stages) {
        if (std::find(stages.begin(), stages.end(), s.id) == stages.end()) stages.push_back(s.id);
      }
    }
  }
  return order;
}

}  // namespace

int whatif(const WhatifOptions& o, std::ostream& out, std::ostream& err) {
  std::optional<Instant> until;
  if (o.until) {
    until = parse_iso8601(*o.until);
    if (!until) {
      err << "crp-adapter: --until is not an ISO 8601 instant with offset (e.g. "
             "2029-01-01T00:00:00Z)\n";
      return 2;
    }
  }
  // Both configurations are loaded before anything runs, so a mistake in the
  // variant is refused at once (file, JSON pointer, reason) like check-config.
  const ServiceConfig baseline = load_service_config(o.baseline_config);
  const ServiceConfig variant = load_service_config(o.variant_config);

  // The history is read once and replayed twice (stdin cannot be read again).
  std::string history;
  if (o.input == "-") {
    history.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::error_code ec;
    if (std::filesystem::is_directory(o.input, ec)) {
      err << "crp-adapter: --input " << o.input
          << " is a directory; give a JSONL file of records, or - for stdin\n";
      return 2;
    }
    std::ifstream file(o.input, std::ios::binary);
    if (!file) {
      err << "crp-adapter: cannot open " << o.input << "\n";
      return 2;
    }
    history.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    if (file.bad()) {
      err << "crp-adapter: error reading " << o.input << "\n";
      return 1;
    }
  }

  const Run a = replay_under(baseline, history, until);
  const Run b = replay_under(variant, history, until);
  whatif::Comparison c;
  c.baseline = o.baseline_config;
  c.variant = o.variant_config;
  c.until = until ? format_iso8601(*until) : "";
  c.records = a.records;
  c.baseline_dead_letters = a.dead_letters;
  c.variant_dead_letters = b.dead_letters;
  c.rows = whatif::compare(a.tally, b.tally, stage_order(baseline, variant));

  whatif::write_table(out, c);
  if (o.csv) {
    std::ostringstream text;
    whatif::write_csv(text, c);
    report::write_private_file(*o.csv, text.str());
  }
  if (o.html) {
    std::ostringstream text;
    whatif::write_html(text, c);
    report::write_private_file(*o.html, text.str());
  }
  if (a.unreadable_facts + b.unreadable_facts > 0) {
    err << "crp-adapter: " << a.unreadable_facts + b.unreadable_facts
        << " fact(s) produced by the replays could not be read and are not counted\n";
  }
  return 0;
}

}  // namespace crp::cli
