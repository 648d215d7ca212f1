#include "adapter/runtime/report/aggregate.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>

namespace crp::report {
namespace {

// Stage ids of the five protocols in the order a challenge climbs them.
constexpr std::array<const char*, 11> kStageOrder{"informal", "dissent", "level1",   "level2",
                                                  "stage1",   "stage2",  "stage3",   "stage4",
                                                  "stage5",   "final",   "step_down"};

int stage_rank(const std::string& id) {
  for (std::size_t i = 0; i < kStageOrder.size(); ++i) {
    if (id == kStageOrder[i]) return static_cast<int>(i);
  }
  return static_cast<int>(kStageOrder.size());
}

// "failure_to_recognise_risk" -> "Failure to recognise risk"; text that is
// not a code (it has spaces, e.g. "Primary School") is shown as it is.
std::string readable(const std::string& code) {
  if (code.find(' ') != std::string::npos) return code;
  std::string out = code;
  std::replace(out.begin(), out.end(), '_', ' ');
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z')
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

// A protocol id as a heading: "bradford" -> "Bradford", "iro-cp-lac" -> "IRO-CP-LAC"
// (short parts are abbreviations).
std::string protocol_label(const std::string& id) {
  std::string out;
  std::size_t start = 0;
  while (start <= id.size()) {
    std::size_t end = std::min(id.find('-', start), id.size());
    std::string part = id.substr(start, end - start);
    for (std::size_t i = 0; i < part.size(); ++i) {
      if ((part.size() <= 3 || i == 0) && part[i] >= 'a' && part[i] <= 'z')
        part[i] = static_cast<char>(part[i] - 'a' + 'A');
    }
    out += (start ? "-" : "") + part;
    start = end + 1;
  }
  return out;
}

std::vector<Count> most_first(const std::map<std::string, std::int64_t>& counts,
                              std::string (*label)(const std::string&)) {
  std::vector<Count> out;
  for (const auto& [key, n] : counts) out.push_back({key, label(key), n});
  std::stable_sort(out.begin(), out.end(),
                   [](const Count& a, const Count& b) { return a.value > b.value; });
  return out;
}

struct Band {
  int upto;  // inclusive; -1: no upper bound
  const char* label;
};
constexpr std::array<Band, 7> kBands{{{5, "0-5 working days"},
                                      {10, "6-10 working days"},
                                      {15, "11-15 working days"},
                                      {20, "16-20 working days"},
                                      {30, "21-30 working days"},
                                      {60, "31-60 working days"},
                                      {-1, "over 60 working days"}}};

}  // namespace

double median(std::vector<int> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

std::string stage_label(const std::string& id) {
  if (id.rfind("stage", 0) == 0 && id.size() > 5) return "Stage " + id.substr(5);
  if (id.rfind("level", 0) == 0 && id.size() > 5) return "Level " + id.substr(5);
  if (id == "final") return "Final stage";
  return readable(id);
}

std::vector<ChallengeFact> in_period(const std::vector<ChallengeFact>& facts,
                                     const Period& period) {
  std::vector<ChallengeFact> out;
  for (const auto& f : facts) {
    if (period.contains(f.closed_on)) out.push_back(f);
  }
  std::stable_sort(out.begin(), out.end(), [](const ChallengeFact& a, const ChallengeFact& b) {
    return a.closed_at != b.closed_at ? a.closed_at < b.closed_at : a.challenge_id < b.challenge_id;
  });
  return out;
}

namespace {

// The last day of a "YYYY-MM" month as "YYYY-MM-DD".
std::string month_end(const std::string& month) {
  const int y = std::stoi(month.substr(0, 4));
  const int m = std::stoi(month.substr(5, 2));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int d = kDays[m - 1];
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) d = 29;
  return month + "-" + std::to_string(d);
}

std::vector<std::string> months_of(const Period& p) {
  std::vector<std::string> out;
  int y = std::stoi(p.from.substr(0, 4)), m = std::stoi(p.from.substr(5, 2));
  const std::string last = p.to.substr(0, 7);
  for (int guard = 0; guard < 1200; ++guard) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d", y, m);
    out.emplace_back(buffer);
    if (out.back() >= last) break;
    if (++m == 13) m = 1, ++y;
  }
  return out;
}

// Stage facts in the order they happened (a fact id is "<challenge>:<seq>").
std::uint64_t seq_of(const std::string& fact_id) {
  auto colon = fact_id.rfind(':');
  if (colon == std::string::npos) return 0;
  std::uint64_t n = 0;
  for (char c : fact_id.substr(colon + 1)) {
    if (c < '0' || c > '9' || n > 1'000'000'000'000ULL) return n;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

std::vector<Count> counted(const std::map<std::string, std::int64_t>& counts,
                           std::string (*label)(const std::string&)) {
  std::vector<Count> out;
  for (const auto& [key, n] : counts) out.push_back({key, label(key), n});
  return out;
}

}  // namespace

OpenCounts open_as_at(const std::vector<StageFact>& stage_facts,
                      const std::vector<ChallengeFact>& closed, const std::string& date) {
  std::set<std::string> closed_by;
  for (const auto& f : closed) {
    if (f.closed_on <= date) closed_by.insert(f.challenge_id);
  }
  std::map<std::string, std::vector<const StageFact*>> by_challenge;
  for (const auto& f : stage_facts) {
    // Notes and watch findings open no challenge and owe no deadline.
    if (f.kind == StageFactKind::good_practice_noted || f.kind == StageFactKind::watch_finding ||
        f.occurred_on > date)
      continue;
    by_challenge[f.challenge_id].push_back(&f);
  }
  OpenCounts out;
  for (auto& [id, facts] : by_challenge) {
    if (closed_by.count(id)) continue;
    std::stable_sort(facts.begin(), facts.end(), [](const StageFact* a, const StageFact* b) {
      return a->occurred_at != b->occurred_at ? a->occurred_at < b->occurred_at
                                              : seq_of(a->fact_id) < seq_of(b->fact_id);
    });
    bool started = false;
    std::set<std::string> outstanding;  // "<deadline>/<stage>/<duty>" missed and not yet met
    for (const StageFact* f : facts) {
      const std::string key = f->deadline + "/" + f->stage + "/" + f->duty;
      if (f->kind == StageFactKind::stage_started) {
        started = true;
        for (auto it = outstanding.begin(); it != outstanding.end();) {
          const bool ends_with_stage =
              it->rfind("response/", 0) == 0 || it->rfind("decision/", 0) == 0;
          it = ends_with_stage ? outstanding.erase(it) : std::next(it);
        }
      } else if (f->kind == StageFactKind::deadline_missed) {
        outstanding.insert(key);
      } else if (f->kind == StageFactKind::deadline_met) {
        outstanding.erase(key);
      }
    }
    if (!started) continue;
    out.open.push_back(id);
    if (!outstanding.empty()) out.overdue.push_back(id);
  }
  return out;
}

ReportData aggregate(const std::vector<ChallengeFact>& all,
                     const std::vector<StageFact>& stage_facts, const Period& period,
                     const std::vector<ProtocolInfo>& protocols) {
  ReportData r = aggregate_closed(all, period);

  // The data as at: the latest instant any fact records.
  Instant latest{};
  bool any = false;
  for (const auto& f : all) latest = any ? std::max(latest, f.closed_at) : f.closed_at, any = true;
  for (const auto& f : stage_facts)
    latest = any ? std::max(latest, f.occurred_at) : f.occurred_at, any = true;
  if (any) r.data_as_at = format_iso8601(latest);

  // Open and overdue at the period's end.
  std::map<std::string, std::string> protocol_of;
  for (const auto& f : stage_facts) protocol_of.emplace(f.challenge_id, f.protocol);
  const OpenCounts at_end = open_as_at(stage_facts, all, period.to);
  r.open_at_end = static_cast<std::int64_t>(at_end.open.size());
  r.overdue_at_end = static_cast<std::int64_t>(at_end.overdue.size());
  std::map<std::string, std::int64_t> open_p, overdue_p;
  for (const auto& id : at_end.open) ++open_p[protocol_of[id]];
  for (const auto& id : at_end.overdue) ++overdue_p[protocol_of[id]];
  r.open_by_protocol = counted(open_p, protocol_label);
  r.overdue_by_protocol = counted(overdue_p, protocol_label);
  const std::set<std::string> open_ids(at_end.open.begin(), at_end.open.end());

  // Trend by month.
  for (const std::string& m : months_of(period)) {
    Month row{m};
    for (const auto& f : stage_facts) {
      if (f.occurred_on.compare(0, 7, m) != 0 || !period.contains(f.occurred_on)) continue;
      if (f.kind == StageFactKind::stage_started && f.opens_challenge) ++row.raised;
      if (f.kind == StageFactKind::deadline_missed) ++row.deadlines_missed;
    }
    for (const auto& f : all) {
      if (f.closed_on.compare(0, 7, m) == 0 && period.contains(f.closed_on)) ++row.closed;
    }
    row.open_at_end = static_cast<std::int64_t>(
        open_as_at(stage_facts, all, std::min(month_end(m), period.to)).open.size());
    r.months.push_back(row);
  }

  // Missed deadlines in the period, by agency and by protocol.
  std::map<std::string, std::int64_t> missed_a, missed_p;
  for (const auto& f : stage_facts) {
    if (f.kind != StageFactKind::deadline_missed || !period.contains(f.occurred_on)) continue;
    ++missed_a[f.agency.empty() ? "not_recorded" : f.agency];
    ++missed_p[f.protocol];
  }
  r.missed_by_agency = most_first(missed_a, readable);
  r.missed_by_protocol = counted(missed_p, protocol_label);

  // Each protocol's monitored counts, as its file declares them.
  for (const ProtocolInfo& p : protocols) {
    if (!p.report.frequency.empty()) {
      r.frequencies.push_back(
          p.title + ": " + p.report.frequency +
          (p.report.frequency_quote.empty() ? "" : " (\"" + p.report.frequency_quote + "\")"));
    }
    for (const MonitoredCount& m : p.report.monitored) {
      MonitoredFigure fig{p.id, p.title, m.id, m.label, m.quote, m.count};
      std::set<std::string> challenges;
      for (const auto& f : stage_facts) {
        if (f.protocol != p.id || !period.contains(f.occurred_on)) continue;
        const bool counts = (m.count == MonitoredCountKind::stage_started &&
                             f.kind == StageFactKind::stage_started && f.stage == m.stage) ||
                            (m.count == MonitoredCountKind::challenges_raised &&
                             f.kind == StageFactKind::stage_started && f.opens_challenge);
        if (counts) challenges.insert(f.challenge_id);
        if (m.count == MonitoredCountKind::good_practice_noted &&
            f.kind == StageFactKind::good_practice_noted)
          ++fig.value;
      }
      if (m.count != MonitoredCountKind::good_practice_noted) {
        fig.value = static_cast<std::int64_t>(challenges.size());
        for (const auto& id : challenges) fig.open_at_end += open_ids.count(id);
      }
      r.monitored.push_back(std::move(fig));
    }
  }

  // Good-practice notes by team and month.
  std::map<std::pair<std::string, std::string>, GoodPracticeRow> gp;
  for (const auto& f : stage_facts) {
    if (f.kind != StageFactKind::good_practice_noted || !period.contains(f.occurred_on)) continue;
    auto& row = gp[{f.team, f.occurred_on.substr(0, 7)}];
    row.team = f.team;
    row.month = f.occurred_on.substr(0, 7);
    ++row.notes;
    if (f.exemplary) ++row.exemplary;
  }
  for (auto& [key, row] : gp) r.good_practice.push_back(row);
  r.watch = watch_findings(stage_facts, period, protocols);
  return r;
}

ReportData aggregate_closed(const std::vector<ChallengeFact>& all, const Period& period) {
  ReportData r;
  r.period = period;
  std::map<std::string, std::int64_t> protocols, stages, agencies, categories, outcomes;
  std::vector<int> working, calendar;
  std::array<std::int64_t, kBands.size()> bands{};
  for (const ChallengeFact& f : in_period(all, period)) {
    ++r.total;
    if (f.immediate_risk) ++r.immediate_risk;
    ++protocols[f.protocol];
    ++stages[f.highest_stage];
    ++agencies[f.agency.empty() ? "not_recorded" : f.agency];
    // A theme counts once per challenge, however often the case system repeats it.
    std::vector<std::string> themes = f.categories;
    std::sort(themes.begin(), themes.end());
    themes.erase(std::unique(themes.begin(), themes.end()), themes.end());
    for (const auto& t : themes) ++categories[t];
    ++outcomes[f.outcome];
    working.push_back(f.working_days);
    calendar.push_back(f.calendar_days);
    r.max_working_days = std::max(r.max_working_days, f.working_days);
    for (std::size_t b = 0; b < kBands.size(); ++b) {
      if (kBands[b].upto < 0 || f.working_days <= kBands[b].upto) {
        ++bands[b];
        break;
      }
    }
    r.deadlines.response.met += f.response.met;
    r.deadlines.response.missed += f.response.missed;
    r.deadlines.duty.met += f.duty.met;
    r.deadlines.duty.missed += f.duty.missed;
    r.deadlines.process.met += f.process.met;
    r.deadlines.process.missed += f.process.missed;
  }
  for (const auto& [key, n] : protocols) r.by_protocol.push_back({key, protocol_label(key), n});
  for (const auto& [key, n] : stages) r.by_stage_reached.push_back({key, stage_label(key), n});
  std::stable_sort(
      r.by_stage_reached.begin(), r.by_stage_reached.end(),
      [](const Count& a, const Count& b) { return stage_rank(a.key) < stage_rank(b.key); });
  r.by_agency = most_first(agencies, readable);
  r.by_category = most_first(categories, readable);
  for (const char* o : {"resolved", "withdrawn", "exhausted"}) {
    r.by_outcome.push_back(
        {o, o == std::string("exhausted") ? "Exhausted (all stages used)" : readable(o),
         outcomes.count(o) ? outcomes[o] : 0});
  }
  for (std::size_t b = 0; b < kBands.size(); ++b)
    r.resolution_bands.push_back({kBands[b].label, kBands[b].label, bands[b]});
  r.median_working_days = median(working);
  r.median_calendar_days = median(calendar);
  return r;
}

}  // namespace crp::report
