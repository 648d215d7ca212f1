#include "adapter/json/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <sstream>

namespace crp::json {

ConfigError::ConfigError(std::string file, std::string pointer, std::string reason)
    : std::runtime_error(file + ": " + (pointer.empty() ? "/" : pointer) + ": " + reason),
      file_(std::move(file)),
      pointer_(std::move(pointer)),
      reason_(std::move(reason)) {}

bool parse(std::string_view text, rapidjson::Document& doc, std::string& error) {
  doc.Parse(text.data(), text.size());
  if (!doc.HasParseError()) return true;
  std::size_t offset = doc.GetErrorOffset();
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  error = "line " + std::to_string(line) + " column " + std::to_string(column) + ": " +
          rapidjson::GetParseError_En(doc.GetParseError());
  return false;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, "", "cannot open file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

rapidjson::Document parse_file(const std::string& path) {
  std::string text = read_file(path);
  rapidjson::Document doc;
  std::string error;
  if (!parse(text, doc, error)) throw ConfigError(path, "", "not valid JSON: " + error);
  return doc;
}

std::string to_string(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string pointer_append(const std::string& base, std::string_view token) {
  std::string out = base + "/";
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string pointer_append(const std::string& base, std::size_t index) {
  return base + "/" + std::to_string(index);
}

}  // namespace crp::json
