// libFuzzer target for the service-config loader (and through it the protocol,
// calendar, directory and connector loaders it calls): a file either loads or
// is refused with a json::ConfigError.
#include "adapter/json/json.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = crp::fuzz::write_scratch("fuzz-service-config.json", data, size);
  try {
    crp::ServiceConfig c = crp::load_service_config(path);
  } catch (const crp::json::ConfigError&) {
  }
  return 0;
}
