#include "adapter/runtime/report/report_settings.h"

#include <rapidjson/document.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "adapter/json/json.h"

namespace crp::report {

ReportSettings load_report_settings(const std::string& config_file) {
  ReportSettings s;
  std::ifstream in(config_file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  rapidjson::Document d;
  std::string error;
  if (!in || !json::parse(text.str(), d, error) || !d.IsObject())
    throw std::runtime_error("cannot read " + config_file + ": " + error);
  auto r = d.FindMember("report");
  if (r == d.MemberEnd() || !r->value.IsObject()) return s;
  if (auto a = r->value.FindMember("authority"); a != r->value.MemberEnd() && a->value.IsString())
    s.authority = a->value.GetString();
  if (auto b = r->value.FindMember("suppress_below"); b != r->value.MemberEnd() &&
                                                      b->value.IsInt() && b->value.GetInt() >= 0 &&
                                                      b->value.GetInt() <= 100)
    s.suppress_below = b->value.GetInt();
  return s;
}

}  // namespace crp::report
