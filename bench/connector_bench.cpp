// Debezium connector throughput against a full RapidJSON parse of the same
// records, in the same run (docs/benchmarks.md, "Connectors").
//   irrelevant rows: rows of tables the mapping does not list (dropped after
//                    the envelope scan) — goal >= 1,000,000 events/s per core
//   mapped rows:     rows that become canonical events (scan, JSON check,
//                    mapped columns only, canonical schema validation)
#include <benchmark/benchmark.h>
#include <rapidjson/document.h>

#include <fstream>
#include <string>
#include <vector>

#include "adapter/json/json.h"
#include "adapter/runtime/service_config.h"
#include "connectors/canonical/canonical_source.h"
#include "connectors/debezium/debezium_source.h"

namespace {

using crp::connectors::debezium::DebeziumSource;

const std::string kRoot = CRP_SOURCE_DIR;

const crp::ServiceConfig& config() {
  static const crp::ServiceConfig c = crp::load_service_config(kRoot + "/config/crp-adapter.json");
  return c;
}

const crp::Engine& engine() {
  static const crp::Engine e(config().protocols);
  return e;
}

const DebeziumSource& source(const std::string& mapping) {
  static std::map<std::string, std::unique_ptr<DebeziumSource>> sources;
  auto& s = sources[mapping];
  if (!s) {
    s = std::make_unique<DebeziumSource>(
        crp::connectors::debezium::load_mapping_file(kRoot + "/config/connectors/" + mapping));
  }
  return *s;
}

// The values of a sample file's records whose source table is `table`.
std::vector<crp::Record> records(const std::string& sample, const std::string& table) {
  std::ifstream in(kRoot + "/config/samples/" + sample);
  std::vector<crp::Record> out;
  for (std::string line; std::getline(in, line);) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    if (!d.IsObject() || !d["value"].IsObject()) continue;
    const auto& v = d["value"].HasMember("payload") ? d["value"]["payload"] : d["value"];
    if (std::string(v["source"]["table"].GetString()) != table) continue;
    crp::Record r;
    r.topic = "crp.cdc";
    r.value = crp::json::to_string(d["value"]);
    out.push_back(std::move(r));
  }
  if (out.empty()) throw std::runtime_error("no " + table + " rows in " + sample);
  return out;
}

struct Case {
  const char* sample;
  const char* mapping;
  const char* table;
};
// 0: SQL Server, schema wrapper (each record carries its ~2 KB Connect schema);
// 1: Oracle, plain JSON.
constexpr Case kIrrelevant[] = {
    {"debezium-lcs-sqlserver.jsonl", "lcs-debezium.json", "PERSON_ADDRESS"},
    {"debezium-mosaic-oracle.jsonl", "mosaic-debezium.json", "MO_FORM_ANSWERS"}};
constexpr Case kMapped[] = {
    {"debezium-lcs-sqlserver.jsonl", "lcs-debezium.json", "CP_CHALLENGE_FORM"},
    {"debezium-mosaic-oracle.jsonl", "mosaic-debezium.json", "MO_WORKFLOW_STEPS"}};

void set_counters(benchmark::State& state, const std::vector<crp::Record>& rs) {
  std::size_t bytes = 0;
  for (const auto& r : rs) bytes += r.value.size();
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes / rs.size()));
  state.counters["bytes_per_record"] = static_cast<double>(bytes) / static_cast<double>(rs.size());
}

void BM_DebeziumDropIrrelevantRow(benchmark::State& state) {
  const Case& c = kIrrelevant[state.range(0)];
  const auto rs = records(c.sample, c.table);
  const DebeziumSource& s = source(c.mapping);
  std::size_t i = 0;
  for (auto _ : state) {
    crp::connectors::SourceResult r = s.map(rs[i++ % rs.size()], engine());
    if (!r.dropped) state.SkipWithError("an irrelevant row was not dropped");
    benchmark::DoNotOptimize(r);
  }
  set_counters(state, rs);
}

void BM_DebeziumMapRow(benchmark::State& state) {
  const Case& c = kMapped[state.range(0)];
  const auto rs = records(c.sample, c.table);
  const DebeziumSource& s = source(c.mapping);
  std::size_t i = 0, events = 0;
  for (auto _ : state) {
    crp::connectors::SourceResult r = s.map(rs[i++ % rs.size()], engine());
    events += r.event.has_value();
    benchmark::DoNotOptimize(r);
  }
  set_counters(state, rs);
  state.counters["mapped_share"] =
      static_cast<double>(events) / static_cast<double>(state.iterations());
}

// Baseline: what any connector that parses first pays for the same records.
void BM_BaselineDocumentParse(benchmark::State& state, const Case* cases) {
  const Case& c = cases[state.range(0)];
  const auto rs = records(c.sample, c.table);
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& v = rs[i++ % rs.size()].value;
    rapidjson::Document d;
    d.Parse(v.data(), v.size());
    benchmark::DoNotOptimize(d.IsObject());
  }
  set_counters(state, rs);
}

// Baseline for mapped rows: the canonical connector on an already canonical event.
void BM_BaselineCanonicalSource(benchmark::State& state) {
  crp::Record r;
  r.topic = "crp.commands";
  r.value =
      R"({"type":"challenge.raised","event_id":"BRD-2027-0101-evt-001","occurred_at":"2027-03-22T09:14:05.120Z","challenge_id":"BRD-2027-0101","case_id":"LCS-7781390","protocol":"bradford","stage":"stage1","agency":"health","source":{"system":"lcs"}})";
  const crp::connectors::canonical::CanonicalSource s;
  for (auto _ : state) {
    crp::connectors::SourceResult result = s.map(r, engine());
    if (!result.event) state.SkipWithError("canonical event not mapped");
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_DebeziumDropIrrelevantRow)->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(BM_BaselineDocumentParse, irrelevant, kIrrelevant)->Arg(0)->Arg(1);
BENCHMARK(BM_DebeziumMapRow)->Arg(0)->Arg(1);
BENCHMARK_CAPTURE(BM_BaselineDocumentParse, mapped, kMapped)->Arg(0)->Arg(1);
BENCHMARK(BM_BaselineCanonicalSource);

}  // namespace
