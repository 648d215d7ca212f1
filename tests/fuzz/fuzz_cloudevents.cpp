// libFuzzer target for the CloudEvents reader and the canonical source behind
// it. Input: header lines "key:value" up to the first empty line, then the value.
#include <string_view>

#include "connectors/canonical/canonical_source.h"
#include "connectors/canonical/cloudevents.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const crp::Engine engine(crp::fuzz::example_config().protocols);
  std::string_view in(reinterpret_cast<const char*>(data), size);
  crp::Record record;
  record.topic = "crp.commands";
  while (!in.empty()) {
    const std::size_t eol = in.find('\n');
    std::string_view line = in.substr(0, eol);
    in = eol == std::string_view::npos ? std::string_view() : in.substr(eol + 1);
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    record.headers.push_back(
        {std::string(line.substr(0, colon)),
         colon == std::string_view::npos ? std::string() : std::string(line.substr(colon + 1))});
  }
  record.value.assign(in.data(), in.size());
  crp::connectors::canonical::CloudEvent ce;
  rapidjson::Document doc;
  std::string error;
  const bool ok = crp::connectors::canonical::read_cloudevent(record, ce, doc, error);
  if (!ok && error.empty()) __builtin_trap();
  crp::connectors::SourceResult r =
      crp::connectors::canonical::CanonicalSource().map(record, engine);
  if (!r.event && !r.dropped && r.error.error_class.empty()) __builtin_trap();
  return 0;
}
