#include "adapter/runtime/report/aggregate.h"

#include <algorithm>
#include <array>
#include <map>

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

std::vector<Count> most_first(const std::map<std::string, int>& counts,
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

ReportData aggregate(const std::vector<ChallengeFact>& all, const Period& period) {
  ReportData r;
  r.period = period;
  std::map<std::string, int> protocols, stages, agencies, categories, outcomes, stage4;
  std::vector<int> working, calendar;
  std::array<int, kBands.size()> bands{};
  for (const ChallengeFact& f : in_period(all, period)) {
    ++r.total;
    if (f.immediate_risk) ++r.immediate_risk;
    ++protocols[f.protocol];
    ++stages[f.highest_stage];
    ++agencies[f.agency.empty() ? "(not recorded)" : f.agency];
    // A theme counts once per challenge, however often the case system repeats it.
    std::vector<std::string> themes = f.categories;
    std::sort(themes.begin(), themes.end());
    themes.erase(std::unique(themes.begin(), themes.end()), themes.end());
    for (const auto& t : themes) ++categories[t];
    ++outcomes[f.outcome];
    if (f.visited("stage4")) {
      ++stage4[f.protocol];
      ++r.stage4_total;
    }
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
  for (const auto& [key, n] : stage4) r.stage4_by_protocol.push_back({key, protocol_label(key), n});
  r.median_working_days = median(working);
  r.median_calendar_days = median(calendar);
  return r;
}

}  // namespace crp::report
