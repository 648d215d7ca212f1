#include "adapter/runtime/report/report_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapter/calendar/time.h"
#include "adapter/runtime/report/aggregate.h"
#include "adapter/runtime/report/csv.h"
#include "adapter/runtime/report/html.h"
#include "adapter/runtime/report/kafka_fact_reader.h"
#include "adapter/runtime/report/period_preset.h"
#include "adapter/runtime/report/report_settings.h"
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
  std::ostringstream text;
  write(text);
  write_private_file(path, text.str());
}

}  // namespace

void write_private_file(const std::filesystem::path& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0600) == 0;
  for (std::size_t done = 0; ok && done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ::close(fd) == 0 && ok;
  if (!ok) throw std::runtime_error("cannot write " + path.string());
}

int run_report(const ReportOptions& options, std::ostream& out, std::ostream& err) {
  ReportOptions o = options;
  if (o.period) {
    auto p = period_preset(*o.period);
    if (!p) {
      err << "crp-adapter: --period is a year (2027), a half year (2027H1), a quarter (2027Q3) "
             "or a month (2027-03)\n";
      return 2;
    }
    o.from = p->from;
    o.to = p->to;
  }
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
  ReportSettings settings;
  if (o.config_file) {
    config = load_service_config(*o.config_file);
    settings = load_report_settings(*o.config_file);
  }

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
  std::vector<ProtocolInfo> protocols;
  if (config) {
    for (const auto& [id, rt] : config->protocols->all()) {
      std::map<std::string, std::string> rules;
      for (const WatchRule& w : rt.protocol.watch.rules) rules.emplace(w.id, w.label);
      protocols.push_back({id, rt.protocol.title, rt.protocol.report, std::move(rules)});
    }
  }
  ReportData data = aggregate(set.facts, set.stage_facts, period, protocols);
  data.authority = settings.authority;
  data.unreadable = static_cast<int>(set.problems.size());
  const Suppression suppression{settings.suppress_below};
  const std::filesystem::path dir(o.out_dir);
  if (!std::filesystem::exists(dir)) {
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  }
  if (o.records) {
    write_file(dir / "report.csv",
               [&](std::ostream& f) { write_facts_csv(f, in_period(set.facts, period)); });
  }
  write_file(dir / "summary.csv",
             [&](std::ostream& f) { write_summary_csv(f, data, suppression); });
  write_file(dir / "report.html", [&](std::ostream& f) { write_html(f, data, suppression); });
  out << "report: " << data.total << " challenges closed from " << o.from << " to " << o.to
      << " (of " << set.facts.size() << " closed facts read), " << data.open_at_end << " open and "
      << data.overdue_at_end << " overdue at its end (" << set.stage_facts.size()
      << " stage facts read); wrote " << (dir / "report.html").string() << ", "
      << (dir / "summary.csv").string();
  if (o.records) out << ", " << (dir / "report.csv").string();
  out << "\n";
  return 0;
}

}  // namespace crp::report
