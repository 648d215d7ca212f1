#include "adapter/runtime/report/report_command.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include "adapter/calendar/time.h"
#include "adapter/runtime/report/aggregate.h"
#include "adapter/runtime/report/csv.h"
#include "adapter/runtime/report/html.h"
#include "adapter/runtime/report/kafka_fact_reader.h"
#include "adapter/runtime/service_config.h"

namespace crp::report {
namespace {

constexpr std::size_t kProblemsShown = 20;

bool is_date(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  auto t = parse_iso8601(text + "T00:00:00Z");
  return t && format_iso8601(*t).substr(0, 10) == text;  // rejects 2027-02-30
}

void write_file(const std::filesystem::path& path, const auto& write) {
  std::ofstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot write " + path.string());
  write(file);
  file.close();
  if (!file) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

int run_report(const ReportOptions& o, std::ostream& out, std::ostream& err) {
  if (!is_date(o.from) || !is_date(o.to)) {
    err << "crp-adapter: --from and --to are dates, YYYY-MM-DD (e.g. --from 2027-04-01 --to "
           "2027-09-30)\n";
    return 2;
  }
  if (o.to < o.from) {
    err << "crp-adapter: --to " << o.to << " is before --from " << o.from << "\n";
    return 2;
  }
  std::optional<ServiceConfig> config;
  if (o.config_file) config = load_service_config(*o.config_file);

  FactSet set;
  if (o.input) {
    const std::string topic = config ? config->topics.facts : ServiceConfig{}.topics.facts;
    std::ifstream file(*o.input);
    if (!file) {
      err << "crp-adapter: cannot open " << *o.input << "\n";
      return 2;
    }
    set = read_facts_jsonl(file, topic);
  } else if (config) {
    set = read_facts_topic(*config, std::chrono::seconds(o.timeout_seconds));
  } else {
    err << "crp-adapter: report needs --config FILE (to read the facts topic) or --input "
           "FILE.jsonl\n";
    return 2;
  }
  for (std::size_t i = 0; i < set.problems.size() && i < kProblemsShown; ++i) {
    err << "crp-adapter: not a fact, not counted: " << set.problems[i] << "\n";
  }
  if (set.problems.size() > kProblemsShown) {
    err << "crp-adapter: ... and " << set.problems.size() - kProblemsShown << " more not counted\n";
  }

  const Period period{o.from, o.to};
  ReportData data = aggregate(set.facts, period);
  data.unreadable = static_cast<int>(set.problems.size());
  const std::filesystem::path dir(o.out_dir);
  std::filesystem::create_directories(dir);
  write_file(dir / "report.csv",
             [&](std::ostream& f) { write_facts_csv(f, in_period(set.facts, period)); });
  write_file(dir / "summary.csv", [&](std::ostream& f) { write_summary_csv(f, data); });
  write_file(dir / "report.html", [&](std::ostream& f) { write_html(f, data); });
  out << "report: " << data.total << " challenges closed from " << o.from << " to " << o.to
      << " (of " << set.facts.size() << " facts read); wrote " << (dir / "report.html").string()
      << ", " << (dir / "report.csv").string() << ", " << (dir / "summary.csv").string() << "\n";
  return 0;
}

}  // namespace crp::report
