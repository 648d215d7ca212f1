#include "adapter/core/secret.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "adapter/json/json.h"

namespace crp {
namespace {

constexpr std::size_t kMaxSecretBytes = 64 * 1024;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Trims in place: the bytes moved or cut off are cleansed first, because
// std::string::resize and erase leave them in the buffer.
void trim(std::string& s) {
  std::size_t end = s.size();
  while (end > 0 && is_space(s[end - 1])) --end;
  std::size_t start = 0;
  while (start < end && is_space(s[start])) ++start;
  if (start > 0) std::memmove(s.data(), s.data() + start, end - start);
  const std::size_t kept = end - start;
  if (kept < s.size()) OPENSSL_cleanse(s.data() + kept, s.size() - kept);
  s.resize(kept);
}

// RAII for the file descriptor, so every throw below closes it.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads into `text` (an out-parameter: a returned short string could be
// moved, which copies its bytes and leaves them in the temporary).
void read_file(const std::string& path, const std::string& config_file, const std::string& at,
               std::string& text) {
  const std::string where = "secret file " + path;
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0)
    throw json::ConfigError(config_file, at, "cannot open " + where + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode))
    throw json::ConfigError(config_file, at, where + " is not a regular file");
  if (static_cast<std::size_t>(st.st_size) > kMaxSecretBytes)
    throw json::ConfigError(config_file, at, where + " is larger than 64 KiB");
  // One allocation of the final size; read(2) writes straight into it.
  text.assign(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(file.fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      wipe(text);
      throw json::ConfigError(config_file, at,
                              "cannot read " + where + ": " + std::strerror(errno));
    }
    if (n == 0) break;  // the file shrank: keep what was read
    got += static_cast<std::size_t>(n);
  }
  if (got < text.size()) {
    OPENSSL_cleanse(text.data() + got, text.size() - got);
    text.resize(got);
  }
}

}  // namespace

void wipe(std::string& s) noexcept {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

Secret::Secret(std::string&& value) noexcept {
  value_.reserve(value.size());
  value_.assign(value);
  crp::wipe(value);
}

Secret::Secret(Secret&& other) noexcept {
  // A short string lives in the object itself (SSO) and std::string's move
  // copies it without clearing the source, so copy and wipe explicitly.
  value_.reserve(other.value_.size());
  value_.assign(other.value_);
  other.wipe();
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    value_.reserve(other.value_.size());
    value_.assign(other.value_);
    other.wipe();
  }
  return *this;
}

void Secret::wipe() noexcept {
  crp::wipe(value_);
}

SecretSource SecretSource::from_json(const rapidjson::Value& ref,
                                     const std::filesystem::path& base) {
  if (ref.IsObject() && ref.HasMember("env") && ref["env"].IsString())
    return env(ref["env"].GetString());
  std::filesystem::path path(ref.IsObject() && ref.HasMember("file") && ref["file"].IsString()
                                 ? ref["file"].GetString()
                                 : "");
  return file((path.is_absolute() ? path : base / path).lexically_normal().string());
}

std::string SecretSource::describe() const {
  return (kind == Kind::file ? "secret file " : "environment variable ") + name;
}

Secret read_secret(const SecretSource& source, const std::string& config_file,
                   const std::string& at) {
  std::string text;
  if (source.kind == SecretSource::Kind::env) {
    // The process environment keeps its own copy for the process's life
    // (and /proc/<pid>/environ shows it): that is why files are the default.
    const char* value = std::getenv(source.name.c_str());
    if (!value) throw json::ConfigError(config_file, at, source.describe() + " is not set");
    const std::size_t n = std::strlen(value);
    text.reserve(n);
    text.assign(value, n);
  } else {
    read_file(source.name, config_file, at, text);
  }
  trim(text);
  Secret secret(std::move(text));
  if (secret.empty()) throw json::ConfigError(config_file, at, source.describe() + " is empty");
  return secret;
}

}  // namespace crp
