// libFuzzer target for one source connector (CRP_FUZZ_CONNECTOR; for
// debezium the mapping file CRP_FUZZ_MAPPING): any bytes as a record value must map to an event, a
// drop or a DLQ error, never a crash (for debezium also: the block-wise bracket count equals its
// bytewise reference); mapped events are applied to a real engine, as the service
// would.
#include <rapidjson/document.h>

#include "fuzz_support.h"

#ifdef CRP_FUZZ_CONTAINER_SKIP
#include "connectors/debezium/container_skip.h"
#endif

namespace {

struct Target {
  std::shared_ptr<const crp::connectors::SourceConnector> source;
  std::unique_ptr<crp::Engine> engine;
  int applied = 0;
};

Target& target() {
  static Target t = [] {
    Target t;
    rapidjson::Document options(rapidjson::kObjectType);
#ifdef CRP_FUZZ_MAPPING
    const std::string mapping = crp::fuzz::kRoot + "/" + CRP_FUZZ_MAPPING;
    options.AddMember("mapping", rapidjson::Value(mapping.c_str(), options.GetAllocator()),
                      options.GetAllocator());
#endif
    const auto& config = crp::fuzz::example_config();
    t.source = crp::connectors::make_source(CRP_FUZZ_CONNECTOR, options, config.file, "/inputs/0",
                                            config.protocols);
    t.engine = std::make_unique<crp::Engine>(config.protocols);
    return t;
  }();
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Target& t = target();
  crp::Record record;
  record.topic = "crp.fuzz";
  record.value.assign(reinterpret_cast<const char*>(data), size);
#ifdef CRP_FUZZ_CONTAINER_SKIP
  // The block-wise bracket count must agree with its bytewise reference on any
  // bytes (decision 0059); from the first few brackets, to keep a run linear.
  int starts = 0;
  for (std::size_t pos = 0; pos < size && starts < 8; ++pos) {
    if (data[pos] != '{' && data[pos] != '[') continue;
    ++starts;
    if (crp::connectors::debezium::skip_container(record.value, pos) !=
        crp::connectors::debezium::skip_container_bytewise(record.value, pos))
      __builtin_trap();
  }
#endif
  crp::connectors::SourceResult result = t.source->map(record, *t.engine);
  if (result.event) {
    crp::Effects effects;
    t.engine->apply(*result.event, result.event->occurred_at, effects);
    if (++t.applied == 1000) {  // bounded memory over a long run
      t.engine = std::make_unique<crp::Engine>(crp::fuzz::example_config().protocols);
      t.applied = 0;
    }
  } else if (!result.dropped && result.error.error_class.empty()) {
    __builtin_trap();  // neither an event, a drop nor a reason: the contract is broken
  }
  return 0;
}
