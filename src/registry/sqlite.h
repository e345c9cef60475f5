// A thin RAII layer over the SQLite C API: a connection, prepared statements
// and write transactions. Errors come back as Status with the SQL error text.
//
// A Database is used by one thread at a time (the registry opens one per
// Registry object). Write transactions are BEGIN IMMEDIATE so the write lock
// is taken up front: two writers never both read "the next number" and then
// race to commit. The busy timeout makes a waiting writer retry instead of
// failing while another process holds the lock.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace inferd::registry {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, const std::string& value) { return Bind(index, std::string_view(value)); }
  Statement& BindNull(int index);

  // Advances; true when a row is available, false when done.
  Result<bool> Step();
  // Runs a statement that returns no rows.
  Status Run();

  int64_t Int(int col) const;
  double Double(int col) const;
  std::string Text(int col) const;
  bool IsNull(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  // Opens (creating if needed) a database file in WAL mode with the given
  // busy timeout, synchronous=FULL and foreign keys on.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, int busy_timeout_ms);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  int64_t LastInsertRowId() const;
  int64_t Changes() const;
  const std::string& path() const { return path_; }

 private:
  Database() = default;
  sqlite3* db_ = nullptr;
  std::string path_;
};

// BEGIN IMMEDIATE on construction (via Begin), ROLLBACK on destruction unless
// Commit() succeeded.
class WriteTransaction {
 public:
  static Result<std::unique_ptr<WriteTransaction>> Begin(Database& db);
  ~WriteTransaction();
  Status Commit();

 private:
  explicit WriteTransaction(Database& db) : db_(db) {}
  Database& db_;
  bool done_ = false;
};

}  // namespace inferd::registry
