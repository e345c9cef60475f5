// Escaping text for a JSON string literal (the quotes are the caller's):
// '"' and '\' are backslashed, \n \r \t spelled out, other control bytes
// written as \u00XX; everything else, UTF-8 included, passes through.
#pragma once

#include <string>
#include <string_view>

namespace inferd {

void AppendJsonEscaped(std::string& out, std::string_view text);
inline std::string JsonEscaped(std::string_view text) {
  std::string out;
  AppendJsonEscaped(out, text);
  return out;
}

}  // namespace inferd
