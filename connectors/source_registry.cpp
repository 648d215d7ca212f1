// The one place that knows every source connector by name.
#include <filesystem>

#include "adapter/json/json.h"
#include "connectors/canonical/canonical_source.h"
#include "connectors/debezium/debezium_source.h"
#include "connectors/lcs/lcs_source.h"
#include "connectors/mosaic/mosaic_source.h"
#include "connectors/source.h"

namespace crp::connectors {

std::shared_ptr<const SourceConnector> make_source(const std::string& connector,
                                                   const rapidjson::Value& options,
                                                   const std::string& config_file,
                                                   const std::string& pointer,
                                                   std::shared_ptr<const ProtocolSet> protocols) {
  if (connector == "canonical") return std::make_shared<canonical::CanonicalSource>();
  if (connector == "lcs")
    return std::make_shared<lcs::LcsSource>(protocols, options, config_file, pointer);
  if (connector == "mosaic")
    return std::make_shared<mosaic::MosaicSource>(protocols, options, config_file, pointer);
  if (connector == "debezium") {
    if (!options.HasMember("mapping") || !options["mapping"].IsString()) {
      throw json::ConfigError(config_file, pointer,
                              "a debezium input needs a mapping file (\"mapping\")");
    }
    std::filesystem::path file(options["mapping"].GetString());
    if (file.is_relative()) file = std::filesystem::path(config_file).parent_path() / file;
    return std::make_shared<debezium::DebeziumSource>(
        debezium::load_mapping_file(file.lexically_normal().string()));
  }
  throw json::ConfigError(config_file, pointer + "/connector",
                          "unknown connector '" + connector + "'");
}

}  // namespace crp::connectors
