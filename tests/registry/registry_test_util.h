// Helpers for the registry suites: temporary folders, child processes with
// captured stdout, and a consistency check of a registry root.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "registry/registry.h"

extern char** environ;

namespace inferd::registry::test {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/inferd-registry-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A child process whose stdout we read.
struct Child {
  pid_t pid = -1;
  int out_fd = -1;
  std::string out;

  static Child Spawn(const std::vector<std::string>& args) {
    Child c;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return c;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (::posix_spawn(&c.pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) c.pid = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    c.out_fd = fds[0];
    return c;
  }
  // Reads until `token` has appeared in the output (or EOF).
  void WaitFor(const std::string& token) {
    char buf[4096];
    while (out.find(token) == std::string::npos) {
      const ssize_t n = ::read(out_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  // Reads until EOF (the child exited or was killed).
  void Drain() {
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(out_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(out_fd);
    out_fd = -1;
  }
  // Waits for exit; returns the raw wait status.
  int Wait() {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (out_fd >= 0) Drain();
    return status;
  }
  // The step of a push the process was in when it stopped: the step after
  // the last one it reported ("startup" before "ready").
  std::string LastStep() const {
    std::string step = "startup/recovery";
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
      if (line == "ready" || line.rfind("pushed ", 0) == 0)
        step = "copying (before staged)";
      else if (line == "at staged")
        step = "validating (staged..validated)";
      else if (line == "at validated")
        step = "taking the write lock";
      else if (line == "at locked")
        step = "renaming into place (locked..published)";
      else if (line == "at published")
        step = "inserting rows (published..inserted)";
      else if (line == "at inserted")
        step = "committing (inserted..committed)";
      else if (line == "at committed")
        step = "after commit, before acknowledging";
    }
    return step;
  }
  // Temporaries removed and orphans moved aside by the child's own recovery pass.
  std::pair<size_t, size_t> Recovered() const {
    std::istringstream in(out);
    std::string word;
    size_t t = 0, o = 0;
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream f(line);
      if (f >> word >> t >> o && word == "recovered") return {t, o};
    }
    return {0, 0};
  }
  // (number, sha256) of each "pushed" line.
  std::vector<std::pair<int64_t, std::string>> Pushed() const {
    std::vector<std::pair<int64_t, std::string>> out_list;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string word, sha;
      int64_t n = 0;
      // A line cut short by the kill has no newline-terminated sha; skip it.
      if (fields >> word >> n >> sha && word == "pushed" && sha.size() == 64) out_list.emplace_back(n, sha);
    }
    return out_list;
  }
};

inline std::vector<std::string> Temporaries(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(root))
    if (e.path().filename().string().rfind(".tmp-", 0) == 0) out.push_back(e.path().string());
  return out;
}

}  // namespace inferd::registry::test
