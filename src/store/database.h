// The store: one backend-neutral interface over SQLite (embedded default) and PostgreSQL.
// SQL is written once with `?` placeholders in the subset both dialects share; the
// PostgreSQL backend renumbers them to $1..$n. Every table's key starts with tenant_id.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"

namespace keel::store {

enum class Backend { kSqlite, kPostgres };

// NULL, integer (also booleans as 0/1), real, text.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

inline bool IsNull(const Value& v) { return v.index() == 0; }
int64_t AsInt(const Value& v);          // 0 for NULL; parses text
double AsDouble(const Value& v);        // 0 for NULL
std::string AsText(const Value& v);     // "" for NULL
// An optional as a parameter: NULL when empty.
template <typename T>
Value Nullable(const std::optional<T>& v) { return v ? Value(*v) : Value(); }

struct Rows;

// One row of a result, read by column name: a part's repository fills its typed rows from these
// (`for (store::Row r : rows) out.push_back({.id = r.Int("id"), .name = r.Text("name")})`), so no
// code depends on a column's position. A column is named as the query returns it (`t.id` → "id";
// give expressions an alias). Naming a column the query does not return is a programming error:
// it is logged and reads as NULL.
class Row {
 public:
  Row(const Rows& rows, size_t i) : rows_(&rows), i_(i) {}
  const Value& operator[](std::string_view column) const;
  bool Null(std::string_view column) const { return IsNull((*this)[column]); }
  int64_t Int(std::string_view column) const { return AsInt((*this)[column]); }
  double Double(std::string_view column) const { return AsDouble((*this)[column]); }
  std::string Text(std::string_view column) const { return AsText((*this)[column]); }
  bool Bool(std::string_view column) const { return Int(column) != 0; }
  std::optional<int64_t> OptInt(std::string_view column) const;
  std::optional<double> OptDouble(std::string_view column) const;
  std::optional<std::string> OptText(std::string_view column) const;

 private:
  const Rows* rows_;
  size_t i_;
};

struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
  bool empty() const { return rows.empty(); }
  size_t size() const { return rows.size(); }
  int Column(std::string_view name) const;  // -1 when absent
  Row row(size_t i) const { return Row(*this, i); }

  // for (store::Row r : rows)
  struct Iterator {
    const Rows* rows;
    size_t i;
    Row operator*() const { return Row(*rows, i); }
    Iterator& operator++() {
      ++i;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return i != o.i; }
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, rows.size()}; }
};

class Database;

// One registered commit listener: its function, and whether it may still be called (the
// handle's destruction clears it under the write lock, waiting for a call in progress).
struct CommitListenerEntry {
  std::function<void(int64_t)> fn;
  std::shared_mutex mu;
  bool alive = true;  // guarded by mu
};
using CommitListeners = std::vector<std::shared_ptr<CommitListenerEntry>>;

// Owns one registration made by Database::AddCommitListener (RAII, movable). Must not outlive
// the database.
class CommitListener {
 public:
  CommitListener() = default;
  CommitListener(Database* db, std::shared_ptr<CommitListenerEntry> entry) : db_(db), entry_(std::move(entry)) {}
  CommitListener(CommitListener&& o) noexcept : db_(o.db_), entry_(std::move(o.entry_)) { o.db_ = nullptr; }
  CommitListener& operator=(CommitListener&& o) noexcept;
  CommitListener(const CommitListener&) = delete;
  CommitListener& operator=(const CommitListener&) = delete;
  ~CommitListener() { Reset(); }
  // Removes the listener now; idempotent.
  void Reset();

 private:
  Database* db_ = nullptr;
  std::shared_ptr<CommitListenerEntry> entry_;
};

// One session with the database. Not thread-safe: used by one thread at a time.
// Failures come back as Status: a unique-key violation is kConflict ("conflict.duplicate"),
// a foreign-key violation kInvalid ("validation.reference"), anything else kInternal.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Backend backend() const = 0;
  // Runs one statement; returns the number of rows it changed.
  virtual Result<int64_t> Exec(std::string_view sql, std::span<const Value> params = {}) = 0;
  virtual Result<Rows> Query(std::string_view sql, std::span<const Value> params = {}) = 0;
  // Runs several ;-separated statements without parameters (migrations).
  virtual Status ExecScript(std::string_view sql) = 0;
  // Opens a transaction; `write` takes the write lock up front on SQLite (BEGIN IMMEDIATE).
  virtual Status Begin(bool write) = 0;
  Status Commit();
  Status Rollback();
  Status Savepoint(std::string_view name);
  Status ReleaseSavepoint(std::string_view name);
  Status RollbackToSavepoint(std::string_view name);
  // Reserves `n` fresh ids from the database-wide id sequence (inside a write transaction
  // on SQLite). Ids are unique across tables and tenants and fit in a JSON number.
  virtual Result<std::vector<int64_t>> AllocateIds(int64_t n) = 0;
  // False once the connection is unusable (server gone, stuck in a transaction); the pool
  // then drops it instead of handing it out again.
  virtual bool Healthy() = 0;

  // Notes that this transaction wrote the tenant's event log; when it commits, the database's
  // commit listeners are told (see Database::AddCommitListener). Rollback forgets it.
  void NoteTenantWrite(int64_t tenant_id);

 private:
  friend class Database;
  std::vector<int64_t> written_tenants_;
  std::shared_ptr<const CommitListeners> listeners_;
  std::string notify_origin_;  // set: tell other nodes about this commit (EnableClusterNotifications)
};

// A connection borrowed from the pool; returned when destroyed.
class PooledConnection {
 public:
  PooledConnection(Database* db, std::unique_ptr<Connection> conn)
      : db_(db), conn_(std::move(conn)) {}
  PooledConnection(PooledConnection&&) noexcept = default;
  PooledConnection& operator=(PooledConnection&&) = delete;
  ~PooledConnection();
  Connection* operator->() { return conn_.get(); }
  Connection& operator*() { return *conn_; }

 private:
  Database* db_;
  std::unique_ptr<Connection> conn_;
};

struct DatabaseOptions {
  int pool_size = 4;
  int busy_timeout_ms = 5000;
  // How long a request waits for a free connection before it is answered 503 store.busy.
  int acquire_timeout_ms = 10000;
  // SQLite synchronous mode: "FULL" survives power loss, "NORMAL" survives a process crash.
  std::string sqlite_synchronous = "FULL";
};

// A pool of connections to one database. Thread-safe.
class Database {
 public:
  virtual ~Database() = default;
  // `url` is "postgresql://..." / "postgres://..." / "host=... dbname=..." for PostgreSQL,
  // and a file path (optionally "sqlite:" prefixed) for SQLite; the file is created if absent.
  static Result<std::unique_ptr<Database>> Open(const std::string& url,
                                                const DatabaseOptions& options = {});
  virtual Backend backend() const = 0;
  // Waits up to acquire_timeout_ms for a free connection (then kUnavailable store.busy: a 503
  // with Retry-After); opens one lazily up to the pool size. A thread that already holds one of
  // this pool's connections gets another at once, beyond the pool size if need be, so a request
  // never waits for itself; such nested borrowing is counted (nested_acquires) and logged once.
  Result<PooledConnection> Acquire();
  int64_t nested_acquires() const { return nested_.load(); }
  // Borrows a connection and asks the database a trivial question: OK when it answers (the
  // readiness probe).
  Status Ping();
  void set_acquire_timeout_ms(int ms) { acquire_timeout_ms_ = ms; }
  // Human-readable description without secrets (for logs).
  virtual std::string Describe() const = 0;
  // Registers `fn`, called after every commit that appended events, once per tenant, on the
  // committing thread (the engines' wake-up). `fn` must be quick and must not throw. The
  // listener is removed when the returned handle is destroyed or reset; once that returns, `fn`
  // is not running and will not be called again. Thread-safe; listeners are independent.
  [[nodiscard]] CommitListener AddCommitListener(std::function<void(int64_t tenant_id)> fn);
  // Several Keel nodes on one PostgreSQL: from now on every commit that appended events also
  // tells the other nodes (one NOTIFY on channel `keel_commits` per commit, never one per
  // event), and the other nodes' such commits reach this database's commit listeners too (a
  // listening connection on its own thread; it reconnects by itself). Idempotent. SQLite has one
  // process: OK, nothing to do.
  virtual Status EnableClusterNotifications() { return Status(); }

 protected:
  explicit Database(int pool_size) : pool_size_(pool_size) {}
  virtual Result<std::unique_ptr<Connection>> OpenOne() = 0;
  // Tells the commit listeners about a commit of another node.
  void TellListeners(int64_t tenant_id);
  // The name this database's commits go out under (the listener skips its own).
  void SetNotifyOrigin(std::string origin);

 private:
  friend class PooledConnection;
  void Release(std::unique_ptr<Connection> conn);

  const int pool_size_;
  int acquire_timeout_ms_ = 10000;
  std::atomic<int64_t> nested_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
  int open_ = 0;                                   // guarded by mu_
  std::shared_ptr<const CommitListeners> listeners_;  // copy on write; guarded by mu_
  std::string notify_origin_;                         // guarded by mu_
  friend class CommitListener;
  void RemoveListener(const std::shared_ptr<CommitListenerEntry>& entry);
};

// Commits on Commit(), rolls back on destruction otherwise.
class Transaction {
 public:
  // write=false: a read-only transaction that sees one snapshot of the database throughout
  // (PostgreSQL REPEATABLE READ READ ONLY; a SQLite read transaction in WAL mode).
  static Result<Transaction> Begin(Connection& conn, bool write = true);
  Transaction(Transaction&& o) noexcept : conn_(o.conn_), done_(o.done_) { o.done_ = true; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Connection& conn) : conn_(&conn) {}
  Connection* conn_;
  bool done_ = false;
};

// Applies the versioned migrations that are not yet applied; returns how many ran.
Result<int> Migrate(Database& db);
// The newest migration version this build knows.
int LatestSchemaVersion();
Result<int> CurrentSchemaVersion(Connection& conn);
// 503 store.schema_newer when the database's schema is newer than this build knows (another
// node already upgraded it): Migrate refuses to start on it, /ready answers 503 so that the
// balancer drains the old node.
Status CheckSchemaNotNewer(Connection& conn);

}  // namespace keel::store
