#include "adapter/engine/protocol_report.h"

#include <algorithm>
#include <set>

#include "adapter/engine/protocol.h"
#include "adapter/json/json.h"

namespace crp {

ProtocolReport load_protocol_report(const rapidjson::Value& doc, const std::vector<Stage>& stages,
                                    const std::string& file) {
  ProtocolReport out;
  auto r = doc.FindMember("report");
  if (r == doc.MemberEnd()) return out;
  const rapidjson::Value& report = r->value;
  auto text = [](const rapidjson::Value& o, const char* key) {
    auto m = o.FindMember(key);
    return m == o.MemberEnd() ? std::string() : std::string(m->value.GetString());
  };
  out.frequency = text(report, "frequency");
  out.frequency_quote = text(report, "frequency_quote");
  auto monitored = report.FindMember("monitored");
  if (monitored == report.MemberEnd()) return out;
  std::set<std::string> ids;
  for (rapidjson::SizeType i = 0; i < monitored->value.Size(); ++i) {
    const rapidjson::Value& m = monitored->value[i];
    const std::string at = "/report/monitored/" + std::to_string(i);
    MonitoredCount c;
    c.id = text(m, "id");
    c.label = text(m, "label");
    c.quote = text(m, "quote");
    c.stage = text(m, "stage");
    const std::string kind = text(m, "count");
    c.count = kind == "challenges_raised"     ? MonitoredCountKind::challenges_raised
              : kind == "good_practice_noted" ? MonitoredCountKind::good_practice_noted
                                              : MonitoredCountKind::stage_started;
    if (!ids.insert(c.id).second)
      throw json::ConfigError(file, at + "/id", "monitored count id '" + c.id + "' is repeated");
    if (c.count == MonitoredCountKind::stage_started) {
      const bool known = std::any_of(stages.begin(), stages.end(),
                                     [&](const Stage& s) { return s.id == c.stage; });
      if (!known)
        throw json::ConfigError(file, at + "/stage",
                                "count stage_started needs a stage of this protocol");
    }
    out.monitored.push_back(std::move(c));
  }
  return out;
}

}  // namespace crp
