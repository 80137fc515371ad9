#include "events/lease.h"

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
  if (!take_) return std::optional<int64_t>();
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  return AcquireLease(*conn, tenant, name, holder_, clock_.NowMs(), ttl_ms_);
}

Result<bool> Leases::Claim(int64_t tenant, std::string_view job, std::string_view period) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  return ClaimPeriod(*conn, tenant, job, period, holder_, clock_.NowMs());
}

Status Leases::Release(int64_t tenant, std::string_view name, int64_t token) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  return ReleaseLease(*conn, tenant, name, holder_, token);
}

Status Leases::Fence(store::Connection& tx, int64_t tenant, std::string_view name, int64_t token) {
  KEEL_ASSIGN_OR_RETURN(bool held, LeaseStillHeld(tx, tenant, name, holder_, token));
  if (held) return Status();
  return Status::Error(ErrorKind::kConflict, "lease.lost",
                       fmt::format("the lease on {} for tenant {} passed to another node", name, tenant),
                       fmt::format("租户 {} 的 {} 租约已转交其他节点", tenant, name));
}

}  // namespace keel::events
