// libFuzzer target for the Debezium mapping loader.
#include "adapter/json/json.h"
#include "connectors/debezium/mapping.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rapidjson::Document doc;
  std::string error;
  if (!crp::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), doc, error))
    return 0;
  try {
    crp::connectors::debezium::Mapping m =
        crp::connectors::debezium::load_mapping(doc, "fuzz.json");
  } catch (const crp::json::ConfigError&) {
  }
  return 0;
}
