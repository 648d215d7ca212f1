#include "adapter/engine/protocol_digests.h"

#include <map>

#include "adapter/json/json.h"

namespace crp {
namespace {

std::map<std::string, std::string> digests_of(const ProtocolSet& protocols) {
  std::map<std::string, std::string> out;
  protocols.for_each_version([&](const ProtocolRuntime& rt) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex(16, '0');
    std::uint64_t d = rt.protocol.definition_digest;
    for (int i = 15; i >= 0; --i, d >>= 4) hex[static_cast<std::size_t>(i)] = kHex[d & 0xf];
    out.emplace(rt.protocol.id + "@" + std::to_string(rt.protocol.version), std::move(hex));
  });
  return out;
}

}  // namespace

std::string protocol_digests(const ProtocolSet& protocols) {
  std::string out = "{";
  for (const auto& [key, digest] : digests_of(protocols)) {
    if (out.size() > 1) out += ',';
    out += "\"" + key + "\":\"" + digest + "\"";  // ids and digests need no escaping
  }
  return out + "}";
}

std::set<std::string> changed_in_place(std::string_view recorded, const ProtocolSet& protocols) {
  std::set<std::string> changed;
  rapidjson::Document doc;
  std::string error;
  if (!json::parse(recorded, doc, error) || !doc.IsObject())
    return changed;  // unreadable: nothing known
  for (const auto& [key, digest] : digests_of(protocols)) {
    auto it = doc.FindMember(key.c_str());
    if (it != doc.MemberEnd() && it->value.IsString() && it->value.GetString() != digest)
      changed.insert(key);
  }
  return changed;
}

}  // namespace crp
