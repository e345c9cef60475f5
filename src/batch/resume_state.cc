#include "batch/resume_state.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace inferd::batch {

Status SaveResumeState(const std::string& path, const ResumeState& s) {
  nlohmann::json j = {{"format", "inferd-predict-progress/1"},
                      {"fingerprint", s.fingerprint},
                      {"rows_read", s.rows_read},
                      {"rows_ok", s.rows_ok},
                      {"rows_failed", s.rows_failed},
                      {"input_offset", s.input_offset},
                      {"input_line", s.input_line},
                      {"output_bytes", s.output_bytes},
                      {"errors_bytes", s.errors_bytes},
                      {"row_shape", s.row_shape}};
  const std::string text = j.dump() + "\n";
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return NotFound("cannot write progress file '" + tmp + "'");
  const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed) return DataLoss("cannot write progress file '" + tmp + "'");
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return DataLoss("cannot replace progress file '" + path + "': " + ec.message());
  return Status::Ok();
}

Result<ResumeState> LoadResumeState(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("no progress file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  auto bad = [&] { return DataLoss("progress file '" + path + "' is damaged; delete it and run without --resume"); };
  if (!j.is_object() || j.value("format", "") != "inferd-predict-progress/1") return bad();
  ResumeState s;
  try {
    s.fingerprint = j.at("fingerprint").get<std::string>();
    s.rows_read = j.at("rows_read").get<int64_t>();
    s.rows_ok = j.at("rows_ok").get<int64_t>();
    s.rows_failed = j.at("rows_failed").get<int64_t>();
    s.input_offset = j.at("input_offset").get<uint64_t>();
    s.input_line = j.at("input_line").get<int64_t>();
    s.output_bytes = j.at("output_bytes").get<uint64_t>();
    s.errors_bytes = j.at("errors_bytes").get<uint64_t>();
    s.row_shape = j.value("row_shape", std::vector<int64_t>{});
  } catch (const nlohmann::json::exception&) {
    return bad();
  }
  if (s.rows_read < 0 || s.rows_ok < 0 || s.rows_failed < 0 || s.input_line < 0) return bad();
  return s;
}

}  // namespace inferd::batch
