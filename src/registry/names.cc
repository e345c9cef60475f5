#include "registry/names.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace inferd::registry {
namespace {

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

bool HasControl(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

}  // namespace

Status ValidateModelName(std::string_view name) {
  const std::string q = Quote(name);
  if (name.empty()) return InvalidArgument("model name is empty; give a name such as \"resnet50\"");
  if (name.size() > kMaxNameLength)
    return InvalidArgument("model name " + q.substr(0, 40) + "...\" is " + std::to_string(name.size()) +
                           " bytes long; the limit is " + std::to_string(kMaxNameLength));
  if (HasControl(name)) return InvalidArgument("model name " + q + " contains control characters");
  if (name.find('/') != std::string_view::npos || name.find('\\') != std::string_view::npos)
    return InvalidArgument("model name " + q + " contains a path separator ('/' or '\\'); use '-' or '_' instead");
  if (name.find("..") != std::string_view::npos)
    return InvalidArgument("model name " + q + " contains \"..\"; names may not look like relative paths");
  if (name.front() == '.')
    return InvalidArgument("model name " + q + " starts with '.'; names may not be hidden files");
  if (name.find(':') != std::string_view::npos || name.find('@') != std::string_view::npos)
    return InvalidArgument("model name " + q +
                           " contains ':' or '@', which separate a name from a version (NAME:3) or alias (NAME@prod)");
  if (name.front() == ' ' || name.back() == ' ')
    return InvalidArgument("model name " + q + " starts or ends with a space");
  return Status::Ok();
}

Status ValidateAliasName(std::string_view alias) {
  const std::string q = Quote(alias);
  if (alias.empty()) return InvalidArgument("alias name is empty; give a name such as \"production\"");
  if (alias.size() > kMaxNameLength)
    return InvalidArgument("alias name is " + std::to_string(alias.size()) + " bytes long; the limit is " +
                           std::to_string(kMaxNameLength));
  const auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!is_alpha(alias.front()))
    return InvalidArgument("alias name " + q + " must start with a letter (so it never looks like a version number)");
  for (char c : alias)
    if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '.' && c != '_' && c != '-')
      return InvalidArgument("alias name " + q + " may contain only letters, digits, '.', '_' and '-'");
  if (alias.find("..") != std::string_view::npos) return InvalidArgument("alias name " + q + " contains \"..\"");
  return Status::Ok();
}

Status ValidateKey(std::string_view what, std::string_view key) {
  if (key.empty()) return InvalidArgument(std::string(what) + " key is empty; write key=value");
  if (key.size() > kMaxNameLength)
    return InvalidArgument(std::string(what) + " key is " + std::to_string(key.size()) + " bytes; the limit is " +
                           std::to_string(kMaxNameLength));
  if (HasControl(key))
    return InvalidArgument(std::string(what) + " key " + Quote(key) + " contains control characters");
  return Status::Ok();
}

std::string ModelRef::ToString() const {
  if (has_version()) return name + ":" + std::to_string(version);
  if (has_alias()) return name + "@" + alias;
  return name;
}

Result<int64_t> ParseVersionNumber(std::string_view text) {
  if (text.empty() || text.size() > 18)
    return InvalidArgument("version \"" + std::string(text) + "\" is not a positive integer");
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return InvalidArgument("version " + Quote(text) + " is not a positive integer (write 3, not v3)");
    v = v * 10 + (c - '0');
  }
  if (v <= 0) return InvalidArgument("version " + Quote(text) + " is not a positive integer; versions start at 1");
  return v;
}

Result<ModelRef> ParseModelRef(std::string_view text) {
  ModelRef ref;
  const size_t colon = text.rfind(':');
  const size_t at = text.rfind('@');
  if (colon != std::string_view::npos && at != std::string_view::npos)
    return InvalidArgument("reference " + Quote(text) +
                           " gives both a version and an alias; write NAME:VERSION or NAME@ALIAS");
  if (colon != std::string_view::npos) {
    ref.name = std::string(text.substr(0, colon));
    ASSIGN_OR_RETURN(ref.version, ParseVersionNumber(text.substr(colon + 1)));
  } else if (at != std::string_view::npos) {
    ref.name = std::string(text.substr(0, at));
    ref.alias = std::string(text.substr(at + 1));
    RETURN_IF_ERROR(ValidateAliasName(ref.alias));
  } else {
    ref.name = std::string(text);
  }
  RETURN_IF_ERROR(ValidateModelName(ref.name));
  return ref;
}

Result<std::pair<std::string, std::string>> ParseKeyValue(std::string_view what, std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos)
    return InvalidArgument(std::string(what) + " " + Quote(text) + " has no '='; write key=value");
  std::string key(text.substr(0, eq));
  RETURN_IF_ERROR(ValidateKey(what, key));
  return std::make_pair(std::move(key), std::string(text.substr(eq + 1)));
}

Result<double> ParseMetricValue(std::string_view key, std::string_view text) {
  const std::string s(text);
  char* end = nullptr;
  errno = 0;
  const double v = s.empty() ? 0 : std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v))
    return InvalidArgument("metric \"" + std::string(key) + "\": value " + Quote(text) + " is not a finite number");
  return v;
}

}  // namespace inferd::registry
