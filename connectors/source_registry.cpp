// The one place that knows every source connector by name.
#include "adapter/json/json.h"
#include "connectors/canonical/canonical_source.h"
#include "connectors/source.h"

namespace crp::connectors {

std::shared_ptr<const SourceConnector> make_source(const std::string& connector, const rapidjson::Value& options,
                                                   const std::string& config_file, const std::string& pointer) {
  (void)options;
  if (connector == "canonical") return std::make_shared<canonical::CanonicalSource>();
  throw json::ConfigError(config_file, pointer + "/connector", "unknown connector '" + connector + "'");
}

}  // namespace crp::connectors
