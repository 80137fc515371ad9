#include "store/sqlite/sqlite_database.h"

#include <sqlite3.h>

#include <filesystem>
#include <unordered_map>

namespace keel::store {
namespace {

Status MapError(sqlite3* db, int rc, std::string_view sql) {
  std::string msg = sqlite3_errmsg(db);
  int ext = sqlite3_extended_errcode(db);
  if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
    // "UNIQUE constraint failed: customers.tenant_id, customers.code" -> "code"
    std::string field;
    auto dot = msg.rfind('.');
    if (dot != std::string::npos) field = msg.substr(dot + 1);
    return Status::Error(ErrorKind::kConflict, "conflict.duplicate",
                         "a record with this " + field + " already exists",
                         "该" + field + "已存在", field);
  }
  if (ext == SQLITE_CONSTRAINT_NOTNULL) {
    // "NOT NULL constraint failed: contacts.is_primary" -> "is_primary"
    std::string field;
    auto dot = msg.rfind('.');
    if (dot != std::string::npos) field = msg.substr(dot + 1);
    return Status::Invalid("validation.required", field + " is required", field + " 为必填项", field);
  }
  if (ext == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return Status::Invalid("validation.reference", "a referenced record does not exist",
                           "引用的记录不存在");
  }
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    return Status::Error(ErrorKind::kUnavailable, "store.busy", "the database is busy",
                         "数据库繁忙");
  }
  return Status::Internal("sqlite: " + msg + " in: " + std::string(sql.substr(0, 200)));
}

class SqliteConnection : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  Backend backend() const override { return Backend::kSqlite; }

  Result<int64_t> Exec(std::string_view sql, std::span<const Value> params = {}) override {
    KEEL_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) {
      Status st = MapError(db_, rc, sql);
      sqlite3_reset(stmt);
      return st;
    }
    sqlite3_reset(stmt);
    return static_cast<int64_t>(sqlite3_changes(db_));
  }

  Result<Rows> Query(std::string_view sql, std::span<const Value> params = {}) override {
    KEEL_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
    Rows out;
    int n = sqlite3_column_count(stmt);
    out.columns.reserve(n);
    for (int i = 0; i < n; ++i) out.columns.emplace_back(sqlite3_column_name(stmt, i));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<Value> row;
      row.reserve(n);
      for (int i = 0; i < n; ++i) {
        switch (sqlite3_column_type(stmt, i)) {
          case SQLITE_INTEGER: row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, i))); break;
          case SQLITE_FLOAT: row.emplace_back(sqlite3_column_double(stmt, i)); break;
          case SQLITE_NULL: row.emplace_back(std::monostate{}); break;
          default:
            row.emplace_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, i)),
                                         sqlite3_column_bytes(stmt, i)));
        }
      }
      out.rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) {
      Status st = MapError(db_, rc, sql);
      sqlite3_reset(stmt);
      return st;
    }
    sqlite3_reset(stmt);
    return out;
  }

  Status ExecScript(std::string_view sql) override {
    std::string s(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown";
      sqlite3_free(err);
      return Status::Internal("sqlite: " + msg);
    }
    return Status();
  }

  bool Healthy() override { return sqlite3_get_autocommit(db_) != 0; }  // not left mid-transaction

  Status Begin(bool write) override {
    return Exec(write ? "BEGIN IMMEDIATE" : "BEGIN").status();
  }

  Result<std::vector<int64_t>> AllocateIds(int64_t n) override {
    Value p[] = {n};
    KEEL_ASSIGN_OR_RETURN(Rows r, Query("UPDATE id_alloc SET next_id = next_id + ? WHERE k = 1 "
                                        "RETURNING next_id", p));
    if (r.empty()) return Status::Internal("id_alloc row missing");
    int64_t end = AsInt(r.rows[0][0]);
    std::vector<int64_t> ids(n);
    for (int64_t i = 0; i < n; ++i) ids[i] = end - n + i;
    return ids;
  }

 private:
  Result<sqlite3_stmt*> Prepare(std::string_view sql, std::span<const Value> params) {
    std::string key(sql);
    sqlite3_stmt* stmt = nullptr;
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      stmt = it->second;
    } else {
      int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                                  SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) return MapError(db_, rc, sql);
      if (cache_.size() > 512) {
        for (auto& [s, st] : cache_) sqlite3_finalize(st);
        cache_.clear();
      }
      cache_.emplace(std::move(key), stmt);
    }
    sqlite3_clear_bindings(stmt);
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
      return Status::Internal("parameter count mismatch in: " + std::string(sql.substr(0, 200)));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      const Value& v = params[i];
      if (auto p = std::get_if<int64_t>(&v)) {
        sqlite3_bind_int64(stmt, idx, *p);
      } else if (auto p = std::get_if<double>(&v)) {
        sqlite3_bind_double(stmt, idx, *p);
      } else if (auto p = std::get_if<std::string>(&v)) {
        sqlite3_bind_text(stmt, idx, p->data(), static_cast<int>(p->size()), SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_null(stmt, idx);
      }
    }
    return stmt;
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

class SqliteDatabase : public Database {
 public:
  SqliteDatabase(std::string path, DatabaseOptions options)
      : Database(options.pool_size), path_(std::move(path)), options_(std::move(options)) {}
  ~SqliteDatabase() override = default;

  Backend backend() const override { return Backend::kSqlite; }
  std::string Describe() const override { return "sqlite:" + path_; }

  Result<std::unique_ptr<Connection>> OpenOne() override {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path_.c_str(), &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
      sqlite3_close_v2(db);
      return Status::Error(ErrorKind::kUnavailable, "store.open",
                           "cannot open database " + path_ + ": " + msg,
                           "无法打开数据库 " + path_ + "：" + msg);
    }
    sqlite3_busy_timeout(db, options_.busy_timeout_ms);
    auto conn = std::make_unique<SqliteConnection>(db);
    KEEL_RETURN_IF_ERROR(conn->ExecScript(
        "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=" +
        options_.sqlite_synchronous + "; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;"));
    return std::unique_ptr<Connection>(std::move(conn));
  }


 private:
  std::string path_;
  DatabaseOptions options_;
};

}  // namespace

Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path,
                                             const DatabaseOptions& options) {
  if (path.empty()) {
    return Status::Invalid("config.database", "database path is empty", "数据库路径为空");
  }
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  auto db = std::make_unique<SqliteDatabase>(path, options);
  auto probe = db->Acquire();  // fail early on a bad path
  if (!probe.ok()) return probe.status();
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace keel::store
