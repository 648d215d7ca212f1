// libFuzzer target for the protocol loader: any JSON either loads or is
// refused with a json::ConfigError; nothing else may escape.
#include "adapter/engine/protocol_loader.h"
#include "adapter/json/json.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rapidjson::Document doc;
  std::string error;
  if (!crp::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), doc, error))
    return 0;
  try {
    crp::Protocol p = crp::load_protocol(doc, "fuzz.json");
  } catch (const crp::json::ConfigError&) {
  }
  return 0;
}
