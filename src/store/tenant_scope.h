#pragma once
// The tenant a thread works for, which row-level security on PostgreSQL enforces.
#include <cstdint>
#include <string>

namespace keel::store {

// Row-level security on PostgreSQL (migration 20): every table with a `tenant_id` shows a
// transaction only the rows of the tenant its thread works for, and refuses to write any other
// tenant's. A request after sign-in, a consumer's step and a lease for one tenant hold a
// TenantScope; a thread without one works in the *system* scope, which sees every tenant: start-up,
// migrations, the operator's commands, sign-in and token lookups, the schedulers' tenant lists.
// The store sets the scope in every transaction (`set_config('keel.tenant_id', …, true)`,
// transaction-local, so it works through PgBouncer's transaction pooling); SQLite ignores it.
// Scopes nest (the innermost wins) and belong to the thread that made them. Connection::ExecScript
// outside a transaction sets no scope (CREATE DATABASE and VACUUM cannot share a query string with
// it): tenant tables show no rows there.
class TenantScope {
 public:
  explicit TenantScope(int64_t tenant_id);
  ~TenantScope();
  TenantScope(const TenantScope&) = delete;
  TenantScope& operator=(const TenantScope&) = delete;
  // The calling thread's tenant, or 0 in the system scope.
  static int64_t Current();
  // What `keel.tenant_id` is set to: the tenant's id, or "system".
  static std::string SettingValue();

 private:
  int64_t previous_;
};

}  // namespace keel::store
