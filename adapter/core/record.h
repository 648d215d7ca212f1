// A Kafka record as the runtime sees it, inbound or outbound.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adapter/calendar/time.h"

namespace crp {

struct Header {
  std::string key;
  std::string value;
};

struct Record {
  std::string topic;
  std::string key;
  std::vector<Header> headers;
  std::string value;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  bool null_value = false;  // a tombstone: compaction deletes the key (last: aggregate inits)

  const std::string* header(const std::string& k) const {
    for (const auto& h : headers) {
      if (h.key == k) return &h.value;
    }
    return nullptr;
  }
};

}  // namespace crp
