// What the fuzz targets share: the example configuration (loaded once) and a
// scratch directory beside it for loaders that only read files.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "adapter/json/json.h"
#include "adapter/runtime/service_config.h"

namespace crp::fuzz {

inline const std::string kRoot = CRP_SOURCE_DIR;

inline std::string write_scratch(const std::string& name, const std::uint8_t* data,
                                 std::size_t size);

// The example config without its partner webhooks: their secrets come from the
// environment of a real deployment, and the mappers under test never need them.
inline const ServiceConfig& example_config() {
  static const ServiceConfig config = [] {
    std::ifstream in(kRoot + "/config/crp-adapter.json");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    rapidjson::Document d;
    d.Parse(text.c_str());
    d.RemoveMember("webhooks");
    const std::string trimmed = json::to_string(d);
    return load_service_config(write_scratch("example-without-partners.json",
                                             reinterpret_cast<const std::uint8_t*>(trimmed.data()),
                                             trimmed.size()));
  }();
  return config;
}

// A private directory whose entries link to config/'s, so a fuzzed file
// written here resolves relative paths (calendars/, protocols/, …) as the
// example config does.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("crp-fuzz-" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    for (const auto& entry : std::filesystem::directory_iterator(kRoot + "/config")) {
      std::filesystem::create_symlink(entry.path(), d / entry.path().filename());
    }
    return d;
  }();
  return dir;
}

inline std::string write_scratch(const std::string& name, const std::uint8_t* data,
                                 std::size_t size) {
  const auto path = scratch_dir() / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path.string();
}

}  // namespace crp::fuzz
