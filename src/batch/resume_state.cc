#include "batch/resume_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace inferd::batch {
namespace {

constexpr size_t kSlotBytes = 4096;  // one page: a slot is written with one pwrite
constexpr const char* kFormat = "inferd-predict-progress/2";

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// A slot: the JSON text, a line with its checksum, space padding.
std::string EncodeSlot(const ResumeState& s, uint64_t seq) {
  nlohmann::json j = {{"format", kFormat},
                      {"seq", seq},
                      {"fingerprint", s.fingerprint},
                      {"rows_read", s.rows_read},
                      {"rows_ok", s.rows_ok},
                      {"rows_failed", s.rows_failed},
                      {"input_offset", s.input_offset},
                      {"input_line", s.input_line},
                      {"output_bytes", s.output_bytes},
                      {"errors_bytes", s.errors_bytes},
                      {"row_shape", s.row_shape}};
  const std::string text = j.dump();
  return text + "\n" + std::to_string(Fnv1a(text)) + "\n";
}

struct Decoded {
  bool ok = false;
  uint64_t seq = 0;
  ResumeState state;
};

Decoded DecodeSlot(std::string_view slot) {
  Decoded d;
  const size_t nl = slot.find('\n');
  if (nl == std::string_view::npos) return d;
  const std::string_view text = slot.substr(0, nl);
  const size_t nl2 = slot.find('\n', nl + 1);
  if (nl2 == std::string_view::npos) return d;
  if (std::string(slot.substr(nl + 1, nl2 - nl - 1)) != std::to_string(Fnv1a(text))) return d;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("format", "") != kFormat) return d;
  try {
    d.seq = j.at("seq").get<uint64_t>();
    ResumeState& s = d.state;
    s.seq = d.seq;
    s.fingerprint = j.at("fingerprint").get<std::string>();
    s.rows_read = j.at("rows_read").get<int64_t>();
    s.rows_ok = j.at("rows_ok").get<int64_t>();
    s.rows_failed = j.at("rows_failed").get<int64_t>();
    s.input_offset = j.at("input_offset").get<uint64_t>();
    s.input_line = j.at("input_line").get<int64_t>();
    s.output_bytes = j.at("output_bytes").get<uint64_t>();
    s.errors_bytes = j.at("errors_bytes").get<uint64_t>();
    s.row_shape = j.at("row_shape").get<std::vector<int64_t>>();
  } catch (const nlohmann::json::exception&) {
    return d;
  }
  d.ok = d.state.rows_read >= 0 && d.state.rows_ok >= 0 && d.state.rows_failed >= 0 && d.state.input_line >= 0;
  return d;
}

}  // namespace

Result<ResumeStateFile> ResumeStateFile::Open(const std::string& path, uint64_t last_seq) {
  ResumeStateFile f;
  f.path_ = path;
  f.seq_ = last_seq;
  f.fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (f.fd_ < 0) return NotFound("cannot create progress file '" + path + "': " + std::strerror(errno));
  return f;
}

ResumeStateFile::ResumeStateFile(ResumeStateFile&& o) noexcept : fd_(o.fd_), seq_(o.seq_), path_(std::move(o.path_)) {
  o.fd_ = -1;
}

ResumeStateFile::~ResumeStateFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status ResumeStateFile::Save(const ResumeState& state) {
  ++seq_;
  std::string slot = EncodeSlot(state, seq_);
  if (slot.size() > kSlotBytes)
    return InvalidArgument("the resume state is larger than " + std::to_string(kSlotBytes) +
                           " bytes (a very long fingerprint?)");
  slot.resize(kSlotBytes, ' ');
  const off_t offset = static_cast<off_t>((seq_ % 2) * kSlotBytes);
  const ssize_t n = ::pwrite(fd_, slot.data(), slot.size(), offset);
  if (n != static_cast<ssize_t>(slot.size()))
    return DataLoss("cannot write progress file '" + path_ + "': " + std::strerror(errno));
  return Status::Ok();
}

Result<ResumeState> LoadResumeState(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("no progress file '" + path + "'");
  std::string bytes(2 * kSlotBytes, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(in.gcount()));
  Decoded best;
  for (size_t at = 0; at < bytes.size(); at += kSlotBytes) {
    Decoded d = DecodeSlot(std::string_view(bytes).substr(at, kSlotBytes));
    if (d.ok && (!best.ok || d.seq > best.seq)) best = std::move(d);
  }
  if (!best.ok) return DataLoss("progress file '" + path + "' is damaged; delete it and run without --resume");
  return best.state;
}

}  // namespace inferd::batch
