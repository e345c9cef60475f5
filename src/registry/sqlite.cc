#include "registry/sqlite.h"

#include <sqlite3.h>

namespace inferd::registry {
namespace {

Status SqlError(sqlite3* db, int rc, std::string_view what) {
  const char* msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string text = "catalog: " + std::string(what) + ": " + (msg ? msg : "unknown error");
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
    return Unavailable(text + " (another process held the catalog lock past the busy timeout; retry)");
  if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) return DataLoss(text);
  return Internal(text);
}

}  // namespace

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqlError(db_, rc, sqlite3_sql(stmt_));
}

Status Statement::Run() {
  ASSIGN_OR_RETURN(bool row, Step());
  (void)row;
  return Status::Ok();
}

int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::Double(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Statement::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}
bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, int busy_timeout_ms) {
  std::unique_ptr<Database> db(new Database());
  db->path_ = path;
  const int rc = sqlite3_open_v2(path.c_str(), &db->db_,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return SqlError(db->db_, rc, "opening \"" + path + "\"");
  sqlite3_busy_timeout(db->db_, busy_timeout_ms);
  sqlite3_extended_result_codes(db->db_, 0);
  // journal_mode=WAL needs the lock briefly; the busy timeout covers it.
  RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=FULL"));
  RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON"));
  return db;
}

Database::~Database() {
  if (db_) sqlite3_close_v2(db_);
}

Status Database::Exec(std::string_view sql) {
  char* err = nullptr;
  const std::string s(sql);
  const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    sqlite3_free(err);
    return SqlError(db_, rc, s.substr(0, 60));
  }
  return Status::Ok();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return SqlError(db_, rc, "preparing " + std::string(sql.substr(0, 60)));
  return Statement(db_, stmt);
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int64_t Database::Changes() const { return sqlite3_changes64(db_); }

Result<std::unique_ptr<WriteTransaction>> WriteTransaction::Begin(Database& db) {
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  return std::unique_ptr<WriteTransaction>(new WriteTransaction(db));
}

WriteTransaction::~WriteTransaction() {
  if (!done_) (void)db_.Exec("ROLLBACK");
}

Status WriteTransaction::Commit() {
  RETURN_IF_ERROR(db_.Exec("COMMIT"));
  done_ = true;
  return Status::Ok();
}

}  // namespace inferd::registry
