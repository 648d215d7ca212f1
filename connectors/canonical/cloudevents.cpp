#include "connectors/canonical/cloudevents.h"

#include <algorithm>
#include <cctype>

#include "adapter/calendar/time.h"
#include "adapter/json/json.h"

namespace crp::connectors::canonical {
namespace {

bool fail(std::string& error, std::string message) {
  error = std::move(message);
  return false;
}

// Media types compare case-insensitively and without parameters (";charset=…").
std::string media_type(std::string_view v) {
  v = v.substr(0, v.find(';'));
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  std::string out(v);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_json_media_type(std::string_view v) {
  const std::string m = media_type(v);
  return m == "application/json" || (m.size() > 5 && m.compare(m.size() - 5, 5, "+json") == 0 &&
                                     m.rfind("application/cloudevents", 0) != 0);
}

const std::string* content_type(const Record& r) {
  const std::string* found = nullptr;
  for (const auto& h : r.headers) {
    if (media_type(h.key) == "content-type") found = &h.value;
  }
  return found;
}

// The attributes every CloudEvent has, then the optional ones we use.
bool check_attributes(const CloudEvent& e, bool has_specversion, const std::string& specversion,
                      const char* where, std::string& error) {
  if (!has_specversion)
    return fail(error, std::string("CloudEvents ") + where + "specversion is missing");
  if (specversion != "1.0")
    return fail(error, std::string("CloudEvents ") + where + "specversion is not 1.0");
  if (e.id.empty())
    return fail(error, std::string("CloudEvents ") + where + "id is missing or empty");
  if (e.source.empty())
    return fail(error, std::string("CloudEvents ") + where + "source is missing or empty");
  if (e.type.empty())
    return fail(error, std::string("CloudEvents ") + where + "type is missing or empty");
  if (!e.time.empty() && !parse_iso8601(e.time)) {
    return fail(error, std::string("CloudEvents ") + where + "time is not an RFC 3339 timestamp");
  }
  return true;
}

bool read_binary(const Record& record, CloudEvent& out, std::string& error) {
  std::string specversion;
  bool has_specversion = false;
  std::vector<std::string_view> seen;
  for (const auto& h : record.headers) {
    if (h.key.rfind("ce_", 0) != 0) continue;
    if (std::find(seen.begin(), seen.end(), h.key) != seen.end()) {
      // The header's name is input too: named only with an attribute name's
      // shape (lower-case letters and digits, at most 20), never echoed else
      // (docs/decisions/0045).
      const std::string_view attribute = std::string_view(h.key).substr(3);
      const bool shaped = !attribute.empty() && attribute.size() <= 20 &&
                          std::all_of(attribute.begin(), attribute.end(), [](char c) {
                            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
                          });
      error = "CloudEvents header " + (shaped ? h.key : std::string("ce_<withheld>")) +
              " appears twice";
      return false;
    }
    seen.push_back(h.key);
    if (h.key == "ce_specversion") {
      specversion = h.value;
      has_specversion = true;
    } else if (h.key == "ce_id") {
      out.id = h.value;
    } else if (h.key == "ce_source") {
      out.source = h.value;
    } else if (h.key == "ce_type") {
      out.type = h.value;
    } else if (h.key == "ce_subject") {
      out.subject = h.value;
    } else if (h.key == "ce_time") {
      out.time = h.value;
    }
  }
  if (!check_attributes(out, has_specversion, specversion, "header ce_", error)) return false;
  if (const std::string* ct = content_type(record); ct && !is_json_media_type(*ct)) {
    error = "CloudEvents binary mode: content-type is not application/json";
    return false;
  }
  return true;
}

bool read_structured(const Record& record, CloudEvent& out, rapidjson::Document& data,
                     std::string& error) {
  rapidjson::Document doc;
  std::string parse_error;
  if (!json::parse(record.value, doc, parse_error))
    return fail(error, "CloudEvents structured mode: value is not JSON: " + parse_error);
  if (!doc.IsObject())
    return fail(error, "CloudEvents structured mode: value is not a JSON object");
  auto text = [&](const char* name, std::string& into, bool& present) {
    present = doc.HasMember(name);
    if (!present) return true;
    const rapidjson::Value& v = doc[name];
    if (!v.IsString()) {
      error = std::string("CloudEvents attribute ") + name + " is not a string";
      return false;
    }
    into.assign(v.GetString(), v.GetStringLength());
    return true;
  };
  std::string specversion, content;
  bool has_specversion = false, present = false, has_content = false;
  if (!text("specversion", specversion, has_specversion) || !text("id", out.id, present) ||
      !text("source", out.source, present) || !text("type", out.type, present) ||
      !text("subject", out.subject, present) || !text("time", out.time, present) ||
      !text("datacontenttype", content, has_content)) {
    return false;
  }
  if (!check_attributes(out, has_specversion, specversion, "attribute ", error)) return false;
  if (has_content && !is_json_media_type(content)) {
    error = "CloudEvents attribute datacontenttype is not application/json";
    return false;
  }
  if (doc.HasMember("data_base64"))
    return fail(error, "CloudEvents data_base64 is not supported: send data as JSON");
  if (!doc.HasMember("data")) return fail(error, "CloudEvents attribute data is missing");
  if (!doc["data"].IsObject())
    return fail(error, "CloudEvents attribute data is not a JSON object");
  data.SetObject();
  data.CopyFrom(doc["data"], data.GetAllocator());
  return true;
}

}  // namespace

bool read_cloudevent(const Record& record, CloudEvent& out, rapidjson::Document& data,
                     std::string& error) {
  out = CloudEvent{};
  if (const std::string* ct = content_type(record)) {
    const std::string m = media_type(*ct);
    if (m == "application/cloudevents-batch+json") {
      error = "CloudEvents batch mode is not supported: one event per record";
      return false;
    }
    if (m == "application/cloudevents+json") {
      out.mode = CloudEvent::Mode::structured;
      return read_structured(record, out, data, error);
    }
  }
  const bool binary = std::any_of(record.headers.begin(), record.headers.end(),
                                  [](const Header& h) { return h.key.rfind("ce_", 0) == 0; });
  if (!binary) return true;
  out.mode = CloudEvent::Mode::binary;
  return read_binary(record, out, error);
}

bool type_agrees(std::string_view ce_type, std::string_view canonical_type) {
  if (ce_type == canonical_type) return true;
  return ce_type.size() > canonical_type.size() + 1 &&
         ce_type.substr(ce_type.size() - canonical_type.size()) == canonical_type &&
         ce_type[ce_type.size() - canonical_type.size() - 1] == '.';
}

std::vector<Header> binary_headers(const CloudEvent& e) {
  return {{"ce_specversion", "1.0"},
          {"ce_id", e.id},
          {"ce_source", e.source},
          {"ce_type", e.type},
          {"ce_subject", e.subject},
          {"ce_time", e.time},
          {"content-type", "application/json"}};
}

std::string structured_event(const CloudEvent& e, const std::function<void(JsonWriter&)>& data) {
  rapidjson::StringBuffer b;
  JsonWriter w(b);
  auto text = [&w](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  text("specversion", "1.0");
  text("id", e.id);
  text("source", e.source);
  text("type", e.type);
  text("subject", e.subject);
  if (!e.time.empty()) text("time", e.time);
  text("datacontenttype", "application/json");
  w.Key("data");
  w.StartObject();
  data(w);
  w.EndObject();
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace crp::connectors::canonical
