#include "store/database.h"
#include "store/tenant_scope.h"

#include <algorithm>

#include <cstdlib>

#include <spdlog/spdlog.h>

#include "store/postgres/pg_database.h"
#include "store/sqlite/sqlite_database.h"

namespace keel::store {

int64_t AsInt(const Value& v) {
  if (auto p = std::get_if<int64_t>(&v)) return *p;
  if (auto p = std::get_if<double>(&v)) return static_cast<int64_t>(*p);
  if (auto p = std::get_if<std::string>(&v)) return std::strtoll(p->c_str(), nullptr, 10);
  return 0;
}

double AsDouble(const Value& v) {
  if (auto p = std::get_if<double>(&v)) return *p;
  if (auto p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
  if (auto p = std::get_if<std::string>(&v)) return std::strtod(p->c_str(), nullptr);
  return 0;
}

std::string AsText(const Value& v) {
  if (auto p = std::get_if<std::string>(&v)) return *p;
  if (auto p = std::get_if<int64_t>(&v)) return std::to_string(*p);
  if (auto p = std::get_if<double>(&v)) return std::to_string(*p);
  return {};
}

int Rows::Column(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return static_cast<int>(i);
  }
  return -1;
}

const Value& Row::operator[](std::string_view column) const {
  static const Value kNull;
  int c = rows_->Column(column);
  if (c < 0) {
    spdlog::error("store: a repository read column '{}', which its query does not return", column);
    return kNull;
  }
  return rows_->rows[i_][static_cast<size_t>(c)];
}

std::optional<int64_t> Row::OptInt(std::string_view column) const {
  const Value& v = (*this)[column];
  return IsNull(v) ? std::nullopt : std::optional<int64_t>(AsInt(v));
}

std::optional<double> Row::OptDouble(std::string_view column) const {
  const Value& v = (*this)[column];
  return IsNull(v) ? std::nullopt : std::optional<double>(AsDouble(v));
}

std::optional<std::string> Row::OptText(std::string_view column) const {
  const Value& v = (*this)[column];
  return IsNull(v) ? std::nullopt : std::optional<std::string>(AsText(v));
}

namespace {
thread_local int64_t t_tenant_scope = 0;
}  // namespace

TenantScope::TenantScope(int64_t tenant_id) : previous_(t_tenant_scope) { t_tenant_scope = tenant_id; }
TenantScope::~TenantScope() { t_tenant_scope = previous_; }
int64_t TenantScope::Current() { return t_tenant_scope; }
std::string TenantScope::SettingValue() { return t_tenant_scope > 0 ? std::to_string(t_tenant_scope) : "system"; }

Status Connection::Commit() {
  std::vector<int64_t> tenants;
  tenants.swap(written_tenants_);
  if (!notify_origin_.empty() && !tenants.empty()) {
    // Delivered to the listeners of other nodes when (and only if) the transaction commits.
    std::string payload = notify_origin_;
    for (size_t i = 0; i < tenants.size(); ++i) payload += (i ? "," : " ") + std::to_string(tenants[i]);
    Value p[] = {payload};
    if (Status st = Exec("SELECT pg_notify('keel_commits', ?)", p).status(); !st.ok()) {
      (void)Exec("ROLLBACK");
      return st;
    }
  }
  Status st = Exec("COMMIT").status();
  if (st.ok() && listeners_ && !tenants.empty()) {
    for (const auto& l : *listeners_) {
      std::shared_lock lock(l->mu);
      if (!l->alive) continue;
      for (int64_t t : tenants) l->fn(t);
    }
  }
  return st;
}

void Connection::NoteTenantWrite(int64_t tenant_id) {
  if (std::find(written_tenants_.begin(), written_tenants_.end(), tenant_id) == written_tenants_.end()) {
    written_tenants_.push_back(tenant_id);
  }
}

void Database::TellListeners(int64_t tenant_id) {
  std::shared_ptr<const CommitListeners> listeners;
  {
    std::lock_guard lock(mu_);
    listeners = listeners_;
  }
  if (!listeners) return;
  for (const auto& l : *listeners) {
    std::shared_lock lock(l->mu);
    if (l->alive) l->fn(tenant_id);
  }
}

void Database::SetNotifyOrigin(std::string origin) {
  std::lock_guard lock(mu_);
  notify_origin_ = std::move(origin);
}

CommitListener Database::AddCommitListener(std::function<void(int64_t)> fn) {
  auto entry = std::make_shared<CommitListenerEntry>();
  entry->fn = std::move(fn);
  std::lock_guard lock(mu_);
  auto next = std::make_shared<CommitListeners>(listeners_ ? *listeners_ : CommitListeners{});
  next->push_back(entry);
  listeners_ = std::move(next);
  return CommitListener(this, std::move(entry));
}

void Database::RemoveListener(const std::shared_ptr<CommitListenerEntry>& entry) {
  {
    std::lock_guard lock(mu_);
    auto next = std::make_shared<CommitListeners>();
    if (listeners_) {
      for (const auto& l : *listeners_) {
        if (l != entry) next->push_back(l);
      }
    }
    listeners_ = std::move(next);
  }
  // A connection may still hold the old list: the flag stops it, after a call in progress.
  std::unique_lock lock(entry->mu);
  entry->alive = false;
}

CommitListener& CommitListener::operator=(CommitListener&& o) noexcept {
  if (this != &o) {
    Reset();
    db_ = o.db_;
    entry_ = std::move(o.entry_);
    o.db_ = nullptr;
  }
  return *this;
}

void CommitListener::Reset() {
  if (db_ && entry_) db_->RemoveListener(entry_);
  db_ = nullptr;
  entry_.reset();
}
Status Connection::Rollback() {
  written_tenants_.clear();
  return Exec("ROLLBACK").status();
}
Status Connection::Savepoint(std::string_view name) {
  return Exec("SAVEPOINT " + std::string(name)).status();
}
Status Connection::ReleaseSavepoint(std::string_view name) {
  return Exec("RELEASE SAVEPOINT " + std::string(name)).status();
}
Status Connection::RollbackToSavepoint(std::string_view name) {
  return Exec("ROLLBACK TO SAVEPOINT " + std::string(name)).status();
}

namespace {
// The pools whose connections this thread holds now (a request's thread borrowing twice).
thread_local std::vector<const Database*> t_held;

void Held(const Database* db) { t_held.push_back(db); }
void Returned(const Database* db) {
  for (auto it = t_held.rbegin(); it != t_held.rend(); ++it) {
    if (*it == db) {
      t_held.erase(std::next(it).base());
      return;
    }
  }
}
}  // namespace

PooledConnection::~PooledConnection() {
  if (conn_) {
    Returned(db_);
    db_->Release(std::move(conn_));
  }
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& url,
                                                 const DatabaseOptions& options) {
  Result<std::unique_ptr<Database>> db = [&] {
    if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0 || url.find("dbname=") != std::string::npos) {
      return OpenPostgres(url, options);
    }
    return OpenSqlite(url.rfind("sqlite:", 0) == 0 ? url.substr(7) : url, options);
  }();
  if (db.ok()) (*db)->set_acquire_timeout_ms(options.acquire_timeout_ms);
  return db;
}

Status Database::Ping() {
  KEEL_ASSIGN_OR_RETURN(PooledConnection conn, Acquire());
  return conn->Query("SELECT 1").status();
}

Result<PooledConnection> Database::Acquire() {
  const bool nested = std::find(t_held.begin(), t_held.end(), this) != t_held.end();
  std::unique_lock lock(mu_);
  if (nested) {
    if (nested_.fetch_add(1) == 0) spdlog::warn("store: a thread borrowed a second connection while holding one (opened beyond the pool if needed)");
  } else if (!cv_.wait_for(lock, std::chrono::milliseconds(acquire_timeout_ms_), [&] { return !idle_.empty() || open_ < pool_size_; })) {
    return Status::Error(ErrorKind::kUnavailable, "store.busy", "the database is busy (every connection is in use); try again shortly",
                         "数据库繁忙（连接已全部占用），请稍后再试");
  }
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    c->listeners_ = listeners_;
    c->notify_origin_ = notify_origin_;
    c->written_tenants_.clear();
    Held(this);
    return PooledConnection(this, std::move(c));
  }
  ++open_;
  auto listeners = listeners_;
  std::string origin = notify_origin_;
  lock.unlock();
  auto c = OpenOne();
  if (c.ok()) {
    (*c)->listeners_ = listeners;
    (*c)->notify_origin_ = std::move(origin);
  }
  if (!c.ok()) {
    std::lock_guard g(mu_);
    --open_;
    cv_.notify_one();
    return c.status();
  }
  Held(this);
  return PooledConnection(this, std::move(c).value());
}

void Database::Release(std::unique_ptr<Connection> conn) {
  bool healthy = conn->Healthy();
  if (!healthy) conn.reset();  // closed outside the lock
  std::lock_guard g(mu_);
  if (healthy) idle_.push_back(std::move(conn));
  else --open_;
  cv_.notify_one();
}

Result<Transaction> Transaction::Begin(Connection& conn, bool write) {
  KEEL_RETURN_IF_ERROR(conn.Begin(write));
  return Transaction(conn);
}

Transaction::~Transaction() {
  if (!done_) (void)conn_->Rollback();
}

Status Transaction::Commit() {
  done_ = true;
  Status st = conn_->Commit();
  if (!st.ok()) (void)conn_->Rollback();
  return st;
}

}  // namespace keel::store
