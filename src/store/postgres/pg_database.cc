#include "store/postgres/pg_database.h"
#include "store/bulk.h"
#include "store/tenant_scope.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include <spdlog/spdlog.h>

namespace keel::store {
namespace {

// Type OIDs from pg_type.h.
constexpr Oid kBoolOid = 16, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23, kFloat4Oid = 700,
              kFloat8Oid = 701, kNumericOid = 1700;

// Rewrites `?` placeholders to $1..$n, leaving quoted text alone.
std::string Renumber(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  bool in_quote = false;
  for (char c : sql) {
    if (c == '\'') in_quote = !in_quote;
    if (c == '?' && !in_quote) {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

// The last key column of each unique index, by index name: the field a unique violation names.
// PostgreSQL leaves the key out of the error's detail on a table with row-level security, so the
// name comes from the catalog, read on its own short connection (the failed transaction cannot
// ask) once, and again when an index it does not know shows up.
class UniqueKeys {
 public:
  explicit UniqueKeys(std::string conninfo) : conninfo_(std::move(conninfo)) {}
  std::string FieldOf(const std::string& index) {
    std::lock_guard g(mu_);
    if (auto it = fields_.find(index); it != fields_.end()) return it->second;
    if (!Load()) return "";  // asked again next time
    auto [it, fresh] = fields_.emplace(index, "");  // an expression index: no column to name
    (void)fresh;
    return it->second;
  }

 private:
  bool Load() {
    bool loaded = false;
    PGconn* c = PQconnectdb((conninfo_ + (conninfo_.find("://") != std::string::npos
                                              ? (conninfo_.find('?') == std::string::npos ? "?" : "&") + std::string("connect_timeout=5")
                                              : std::string(" connect_timeout=5"))).c_str());
    if (PQstatus(c) == CONNECTION_OK) {
      PGresult* r = PQexec(c,
                           "SELECT i.relname, a.attname FROM pg_index x "
                           "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace "
                           "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[x.indnkeyatts - 1] "
                           "WHERE x.indisunique AND n.nspname = current_schema()");
      if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        for (int i = 0; i < PQntuples(r); ++i) fields_[PQgetvalue(r, i, 0)] = PQgetvalue(r, i, 1);
        loaded = true;
      }
      PQclear(r);
    }
    PQfinish(c);
    return loaded;
  }

  const std::string conninfo_;
  std::mutex mu_;
  std::unordered_map<std::string, std::string> fields_;  // guarded by mu_
};

Status MapResultError(PGresult* res, std::string_view sql, UniqueKeys* keys = nullptr) {
  const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  std::string msg = PQresultErrorMessage(res);
  std::string code = state ? state : "";
  if (code == "23505") {
    // Detail: Key (tenant_id, code)=(1, X) already exists.
    std::string field;
    const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    if (detail) {
      std::string d = detail;
      auto open = d.find('('), close = d.find(')');
      if (open != std::string::npos && close != std::string::npos && close > open) {
        std::string cols = d.substr(open + 1, close - open - 1);
        auto comma = cols.rfind(", ");
        field = comma == std::string::npos ? cols : cols.substr(comma + 2);
      }
    }
    const char* index = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
    if (field.empty() && keys != nullptr && index != nullptr) field = keys->FieldOf(index);
    return Status::Error(ErrorKind::kConflict, "conflict.duplicate",
                         "a record with this " + field + " already exists",
                         "该" + field + "已存在", field);
  }
  if (code == "23502") {
    const char* col = PQresultErrorField(res, PG_DIAG_COLUMN_NAME);
    std::string field = col ? col : "";
    return Status::Invalid("validation.required", field + " is required", field + " 为必填项", field);
  }
  if (code == "23503") {
    return Status::Invalid("validation.reference", "a referenced record does not exist",
                           "引用的记录不存在");
  }
  if (code == "42501" && msg.find("row-level security") != std::string::npos) {
    // A write into another tenant's rows: a defect of the caller, refused by the database.
    return Status::Error(ErrorKind::kForbidden, "store.row_security", "the row belongs to another tenant",
                         "该记录属于其他租户");
  }
  if (code == "40001" || code == "40P01" || code == "55P03") {
    return Status::Error(ErrorKind::kUnavailable, "store.busy", "the database is busy",
                         "数据库繁忙");
  }
  return Status::Internal("postgres " + code + ": " + msg + " in: " +
                          std::string(sql.substr(0, 200)));
}

class PgConnection : public Connection {
 public:
  PgConnection(PGconn* conn, std::shared_ptr<UniqueKeys> keys) : conn_(conn), keys_(std::move(keys)) {}
  ~PgConnection() override { PQfinish(conn_); }

  Backend backend() const override { return Backend::kPostgres; }

  Result<int64_t> Exec(std::string_view sql, std::span<const Value> params = {}) override {
    KEEL_ASSIGN_OR_RETURN(PGresult * res, Run(sql, params));
    const char* n = PQcmdTuples(res);
    int64_t changed = (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
    PQclear(res);
    return changed;
  }

  Result<Rows> Query(std::string_view sql, std::span<const Value> params = {}) override {
    KEEL_ASSIGN_OR_RETURN(PGresult * res, Run(sql, params));
    Rows out;
    int nf = PQnfields(res), nt = PQntuples(res);
    std::vector<Oid> types(nf);
    for (int i = 0; i < nf; ++i) {
      out.columns.emplace_back(PQfname(res, i));
      types[i] = PQftype(res, i);
    }
    out.rows.reserve(nt);
    for (int r = 0; r < nt; ++r) {
      std::vector<Value> row;
      row.reserve(nf);
      for (int i = 0; i < nf; ++i) {
        if (PQgetisnull(res, r, i)) {
          row.emplace_back(std::monostate{});
          continue;
        }
        const char* v = PQgetvalue(res, r, i);
        switch (types[i]) {
          case kInt2Oid: case kInt4Oid: case kInt8Oid:
            row.emplace_back(static_cast<int64_t>(std::strtoll(v, nullptr, 10)));
            break;
          case kFloat4Oid: case kFloat8Oid: case kNumericOid:
            row.emplace_back(std::strtod(v, nullptr));
            break;
          case kBoolOid:
            row.emplace_back(static_cast<int64_t>(v[0] == 't'));
            break;
          default:
            row.emplace_back(std::string(v, PQgetlength(res, r, i)));
        }
      }
      out.rows.push_back(std::move(row));
    }
    PQclear(res);
    return out;
  }

  Status ExecScript(std::string_view sql) override {
    // Raw: outside a transaction no tenant scope is set (CREATE DATABASE and VACUUM cannot share a
    // query string with it), so tenant tables show nothing there; migrations run in a transaction.
    std::string s(sql);
    PGresult* res = PQexec(conn_, s.c_str());
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
      Status err = MapResultError(res, sql, keys_.get());
      PQclear(res);
      return err;
    }
    PQclear(res);
    return Status();
  }

  // A write transaction reads committed data statement by statement (writers serialise on their
  // own locks); a read transaction sees one snapshot throughout, so that state read in several
  // statements (stored rollups and their position) is consistent.
  // Every transaction starts in the thread's tenant scope (row-level security, TenantScope), in
  // the same round trip as BEGIN.
  Status Begin(bool write) override {
    std::string sql = write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    sql += "; SELECT set_config('keel.tenant_id', '" + TenantScope::SettingValue() + "', true)";
    return ExecScript(sql);
  }

  bool Healthy() override {
    return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE &&
           PQpipelineStatus(conn_) == PQ_PIPELINE_OFF;
  }

  Result<std::vector<int64_t>> AllocateIds(int64_t n) override {
    Value p[] = {n};
    KEEL_ASSIGN_OR_RETURN(
        Rows r, Query("SELECT nextval('keel_ids') FROM generate_series(1, ?::bigint)", p));
    std::vector<int64_t> ids;
    ids.reserve(r.size());
    for (auto& row : r.rows) ids.push_back(AsInt(row[0]));
    return ids;
  }

 private:
  Result<PGresult*> Run(std::string_view sql, std::span<const Value> params) {
    std::string key(sql);
    auto it = prepared_.find(key);
    std::string name;
    if (it == prepared_.end()) {
      if (prepared_.size() > 512) {
        PQclear(PQexec(conn_, "DEALLOCATE ALL"));
        prepared_.clear();
        scope_prepared_ = false;
      }
      name = "s" + std::to_string(++counter_);
      std::string text = Renumber(sql);
      PGresult* res = PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr);
      if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        Status err = PQstatus(conn_) == CONNECTION_BAD ? LostConnection() : MapResultError(res, sql, keys_.get());
        PQclear(res);
        return err;
      }
      PQclear(res);
      prepared_.emplace(std::move(key), name);
    } else {
      name = it->second;
    }
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (IsNull(v)) {
        values[i] = nullptr;
        continue;
      }
      if (auto d = std::get_if<double>(&v)) {
        text[i] = DoubleText(*d);
      } else {
        text[i] = AsText(v);
      }
      values[i] = text[i].c_str();
    }
    PGresult* res = PQtransactionStatus(conn_) == PQTRANS_IDLE
                        ? RunScoped(name, values)
                        : PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()),
                                         values.data(), nullptr, nullptr, 0);
    if (res == nullptr) return LostConnection();
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK && sql == "COMMIT" && std::strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
      // PostgreSQL answers COMMIT of a transaction an earlier statement spoiled with ROLLBACK, not
      // an error: a caller that went on after a failure must not believe its writes were kept.
      PQclear(res);
      return Status::Internal("postgres: the transaction had failed and was rolled back at COMMIT");
    }
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      Status err = MapResultError(res, sql, keys_.get());
      PQclear(res);
      return err;
    }
    return res;
  }

  static Status LostConnection() {
    return Status::Error(ErrorKind::kUnavailable, "store.connection", "lost the connection to PostgreSQL",
                         "与 PostgreSQL 的连接已断开");
  }

  // A statement outside a transaction: the tenant scope and the statement go in one pipeline, so
  // they run in one implicit transaction and one round trip. Returns the statement's result (an
  // error result when the scope could not be set), or null when the connection broke.
  PGresult* RunScoped(const std::string& name, const std::vector<const char*>& values) {
    if (!scope_prepared_) {
      PGresult* r = PQprepare(conn_, "keel_scope", "SELECT set_config('keel.tenant_id', $1, true)", 1, nullptr);
      bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
      PQclear(r);
      if (!ok) return nullptr;
      scope_prepared_ = true;
    }
    std::string scope = TenantScope::SettingValue();
    const char* scope_value[] = {scope.c_str()};
    if (PQenterPipelineMode(conn_) != 1) return nullptr;
    bool sent = PQsendQueryPrepared(conn_, "keel_scope", 1, scope_value, nullptr, nullptr, 0) == 1 &&
                PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                                    nullptr, 0) == 1 &&
                PQpipelineSync(conn_) == 1;
    // Results come per query, each list ended by a null; then the sync point.
    PGresult* scope_res = nullptr;
    PGresult* stmt_res = nullptr;
    bool synced = false;
    for (int ends = 0, guard = 0; sent && !synced && guard < 64; ++guard) {
      PGresult* r = PQgetResult(conn_);
      if (r == nullptr) {
        if (PQstatus(conn_) == CONNECTION_BAD) break;
        ++ends;
        continue;
      }
      if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        synced = true;
      } else if (ends == 0 && scope_res == nullptr) {
        scope_res = r;
      } else if (ends == 1 && stmt_res == nullptr) {
        stmt_res = r;
      } else {
        PQclear(r);
      }
    }
    if (PQexitPipelineMode(conn_) != 1) synced = false;  // Healthy() then drops the connection
    if (!synced) {
      PQclear(scope_res);
      PQclear(stmt_res);
      return nullptr;
    }
    if (PQresultStatus(scope_res) != PGRES_TUPLES_OK) {  // the statement was not run
      PQclear(stmt_res);
      return scope_res;
    }
    PQclear(scope_res);
    return stmt_res;
  }

  PGconn* conn_;
  std::shared_ptr<UniqueKeys> keys_;
  bool scope_prepared_ = false;
  std::unordered_map<std::string, std::string> prepared_;
  int64_t counter_ = 0;
};

class PgDatabase : public Database {
 public:
  PgDatabase(std::string conninfo, DatabaseOptions options)
      : Database(options.pool_size), conninfo_(std::move(conninfo)), options_(std::move(options)),
        keys_(std::make_shared<UniqueKeys>(conninfo_)) {}
  ~PgDatabase() override {
    stop_.store(true);
    if (listener_.joinable()) listener_.join();
  }

  Status EnableClusterNotifications() override {
    bool expected = false;
    if (!enabled_.compare_exchange_strong(expected, true)) return Status();
    std::random_device rd;
    origin_ = std::to_string(rd()) + std::to_string(rd());
    SetNotifyOrigin(origin_);
    listener_ = std::thread([this] { Listen(); });
    return Status();
  }

  Backend backend() const override { return Backend::kPostgres; }
  std::string Describe() const override {
    // Never log a password: print only host/db parts.
    PQconninfoOption* opts = PQconninfoParse(conninfo_.c_str(), nullptr);
    std::string out = "postgresql:";
    for (auto* o = opts; o && o->keyword; ++o) {
      if (o->val && (!std::strcmp(o->keyword, "host") || !std::strcmp(o->keyword, "port") ||
                     !std::strcmp(o->keyword, "dbname") || !std::strcmp(o->keyword, "user"))) {
        out += std::string(" ") + o->keyword + "=" + o->val;
      }
    }
    PQconninfoFree(opts);
    return out;
  }

  Result<std::unique_ptr<Connection>> OpenOne() override {
    PGconn* c = PQconnectdb(conninfo_.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(c);
      PQfinish(c);
      return Status::Error(ErrorKind::kUnavailable, "store.open",
                           "cannot connect to PostgreSQL: " + msg, "无法连接 PostgreSQL：" + msg);
    }
    auto conn = std::make_unique<PgConnection>(c, keys_);
    KEEL_RETURN_IF_ERROR(conn->ExecScript("SET client_min_messages = warning; "
                                          "SET TIME ZONE 'UTC'"));
    return std::unique_ptr<Connection>(std::move(conn));
  }


 private:
  // The listening connection's loop: LISTEN, wait for notifications (waking every 200 ms to
  // see whether to stop), tell the commit listeners about other nodes' commits; reconnects
  // after a failure with a growing pause. Commits missed while disconnected are caught up by
  // the consumers' own polling.
  void Listen() {
    int pause_ms = 100;
    while (!stop_.load()) {
      PGconn* c = PQconnectdb(conninfo_.c_str());
      PGresult* r = PQstatus(c) == CONNECTION_OK ? PQexec(c, "LISTEN keel_commits") : nullptr;
      bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
      if (r) PQclear(r);
      if (!ok) {
        spdlog::warn("store: cannot listen for other nodes' commits: {}", PQerrorMessage(c));
        PQfinish(c);
        for (int waited = 0; waited < pause_ms && !stop_.load(); waited += 100) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        pause_ms = std::min(pause_ms * 2, 10000);
        continue;
      }
      pause_ms = 100;
      while (!stop_.load()) {
        pollfd fd{PQsocket(c), POLLIN, 0};
        if (poll(&fd, 1, 200) < 0 && errno != EINTR) break;
        if (PQconsumeInput(c) == 0) break;  // the server went away
        while (PGnotify* n = PQnotifies(c)) {
          Deliver(n->extra ? n->extra : "");
          PQfreemem(n);
        }
      }
      if (!stop_.load()) spdlog::warn("store: the connection listening for other nodes' commits dropped; reconnecting");
      PQfinish(c);
    }
  }

  // "<origin> <tenant>,<tenant>…": this node's own commits already told the listeners.
  void Deliver(std::string_view payload) {
    auto space = payload.find(' ');
    if (space == std::string_view::npos || payload.substr(0, space) == origin_) return;
    std::string_view rest = payload.substr(space + 1);
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      int64_t tenant = 0;
      auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), tenant);
      if (ec == std::errc() && end == item.data() + item.size() && tenant > 0) TellListeners(tenant);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }

  std::string conninfo_;
  DatabaseOptions options_;
  std::shared_ptr<UniqueKeys> keys_;  // after conninfo_: made from it
  std::atomic<bool> enabled_{false}, stop_{false};
  std::string origin_;  // written once before the thread starts
  std::thread listener_;
};

}  // namespace

Result<std::unique_ptr<Database>> OpenPostgres(const std::string& conninfo,
                                               const DatabaseOptions& options) {
  auto db = std::make_unique<PgDatabase>(conninfo, options);
  auto probe = db->Acquire();
  if (!probe.ok()) return probe.status();
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace keel::store
