#include "events/lease.h"
#include "store/tenant_scope.h"

#include <unistd.h>

#include <map>
#include <mutex>
#include <random>

#include <fmt/format.h>

#include "events/store.h"

namespace keel::events {

namespace {
std::mutex g_attached_mu;
std::map<const store::Database*, Leases*>& Attached() {
  static auto* m = new std::map<const store::Database*, Leases*>();
  return *m;
}
}  // namespace

void AttachLeases(store::Database& db, Leases* leases) {
  std::lock_guard lock(g_attached_mu);
  if (leases) {
    Attached()[&db] = leases;
  } else {
    Attached().erase(&db);
  }
}

Leases* AttachedLeases(store::Database& db) {
  std::lock_guard lock(g_attached_mu);
  auto it = Attached().find(&db);
  return it == Attached().end() ? nullptr : it->second;
}

std::string LeaseHolderName() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::random_device rd;
  return fmt::format("{}:{}:{:08x}", host[0] ? host : "node", static_cast<long>(getpid()), rd());
}

Leases::Leases(store::Database& db, const Clock& clock, LeaseOptions options)
    : db_(db),
      clock_(clock),
      holder_(options.holder.empty() ? LeaseHolderName() : std::move(options.holder)),
      ttl_ms_(options.ttl_ms > 0 ? options.ttl_ms : 10000),
      take_(options.take) {}

Result<std::optional<int64_t>> Leases::Hold(int64_t tenant, std::string_view name) {
  store::TenantScope scope(tenant);
  if (!take_) return std::optional<int64_t>();
  auto conn = db_.Acquire();
  Result<std::optional<int64_t>> token =
      conn.ok() ? AcquireLease(**conn, tenant, name, holder_, clock_.NowMs(), ttl_ms_)
                 : Result<std::optional<int64_t>>(conn.status());
  // A renewal that failed leaves the work to whoever takes the lease next: lost here.
  Track(tenant, name, token.ok() ? *token : std::nullopt);
  return token;
}

void Leases::Track(int64_t tenant, std::string_view name, std::optional<int64_t> token) {
  MutexLock lock(mu_);
  auto key = std::make_pair(std::string(name), tenant);
  auto it = held_.find(key);
  if (!token) {
    if (it == held_.end()) return;
    held_.erase(it);
    ++changes_[key.first].lost;
    return;
  }
  Changes& c = changes_[key.first];
  if (it == held_.end()) {
    held_.emplace(std::move(key), *token);
    ++c.acquired;
  } else if (it->second != *token) {
    // It expired while this node was away and was taken again under a new token: in between
    // another node may have run it.
    it->second = *token;
    ++c.lost;
    ++c.acquired;
  }
}

void Leases::Forget(int64_t tenant, std::string_view name, int64_t token, bool released) {
  MutexLock lock(mu_);
  auto it = held_.find(std::make_pair(std::string(name), tenant));
  if (it == held_.end() || it->second != token) return;  // not held here, or a stale token
  held_.erase(it);
  Changes& c = changes_[std::string(name)];
  ++(released ? c.released : c.lost);
}

std::map<std::string, Leases::Changes> Leases::changes() const {
  MutexLock lock(mu_);
  std::map<std::string, Changes> out(changes_.begin(), changes_.end());
  for (const auto& [key, token] : held_) ++out[key.first].held;
  return out;
}

Result<bool> Leases::Claim(int64_t tenant, std::string_view job, std::string_view period) {
  store::TenantScope scope(tenant);
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  return ClaimPeriod(*conn, tenant, job, period, holder_, clock_.NowMs());
}

Status Leases::Release(int64_t tenant, std::string_view name, int64_t token) {
  store::TenantScope scope(tenant);
  // Given up whatever the database says: should the update fail, the lease expires unrenewed.
  Forget(tenant, name, token, /*released=*/true);
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  return ReleaseLease(*conn, tenant, name, holder_, token);
}

Status Leases::Fence(store::Connection& tx, int64_t tenant, std::string_view name, int64_t token) {
  KEEL_ASSIGN_OR_RETURN(bool held, LeaseStillHeld(tx, tenant, name, holder_, token));
  if (held) return Status();
  Forget(tenant, name, token, /*released=*/false);
  return Status::Error(ErrorKind::kConflict, "lease.lost",
                       fmt::format("the lease on {} for tenant {} passed to another node", name, tenant),
                       fmt::format("租户 {} 的 {} 租约已转交其他节点", tenant, name));
}

}  // namespace keel::events
