// libFuzzer target for the partner (webhook) file loader.
#include "adapter/json/json.h"
#include "connectors/webhooks/partner.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = crp::fuzz::write_scratch("fuzz-partner.json", data, size);
  try {
    crp::webhooks::Partner p = crp::webhooks::load_partner_file(path);
  } catch (const crp::json::ConfigError&) {
  }
  return 0;
}
