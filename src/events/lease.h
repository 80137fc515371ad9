// Leases (租约): which node runs a piece of background work for a tenant. Several Keel nodes on
// one PostgreSQL each hold a lease per (work, tenant) in the `leases` table with an expiry; a node
// that dies stops renewing, its leases expire after ttl_ms and another node takes the work over
// from the durable cursor. Each change of hands raises the lease's fencing token; writes made
// under a lease check the token inside their transaction (Fence), so a holder that was paused
// past its expiry cannot overwrite the new holder's work.
//
// Why a table and not advisory locks: a session-level advisory lock lives on one server
// connection, which PgBouncer in transaction pooling mode hands to other clients between
// transactions, and it gives no fencing token. A row with an expiry works through any pooler, on
// both backends, and is visible to operators (`SELECT * FROM leases`).
//
// Expiry uses the holder's clock: nodes must keep their clocks within a fraction of ttl_ms
// (NTP does). Fencing does not depend on clocks.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/mutex.h"
#include "common/status.h"
#include "common/time.h"
#include "store/database.h"

namespace keel::events {

struct LeaseOptions {
  std::string holder;      // this node's name; empty: host:pid:random (LeaseHolderName)
  int64_t ttl_ms = 10000;  // how long a lease outlives its holder's last renewal
  bool take = true;        // false: never takes one (a node serving the API only)
};

// A name for this process that no other process shares: host, pid and a random suffix.
std::string LeaseHolderName();

// Thread-safe; one per process.
class Leases {
 public:
  Leases(store::Database& db, const Clock& clock, LeaseOptions options);

  // Takes the lease (tenant, name), or renews it when this node already holds it: its fencing
  // token, or nullopt while another node holds it (always, on a node that takes none).
  Result<std::optional<int64_t>> Hold(int64_t tenant, std::string_view name);
  // Gives it up (a clean shutdown): another node may take it at once.
  Status Release(int64_t tenant, std::string_view name, int64_t token);
  // In the caller's write transaction: OK while this node still holds the lease with `token`;
  // 409 lease.lost otherwise (roll back: the work belongs to another node now).
  Status Fence(store::Connection& tx, int64_t tenant, std::string_view name, int64_t token);

  // A scheduled job's run for the tenant and period (a local day, an hour, a month…): true for
  // the first node that asks, false for every other and for later asks. Unlike a lease it is
  // never handed over, so a node taking the tenant over mid-period does not run the job again.
  Result<bool> Claim(int64_t tenant, std::string_view job, std::string_view period);

  const std::string& holder() const { return holder_; }
  int64_t ttl_ms() const { return ttl_ms_; }
  // How often a holder renews: a third of the lifetime, so two renewals can fail before it ends.
  int64_t renew_ms() const { return ttl_ms_ / 3; }

  // What this node's leases of one name (a consumer) did since the process started, as Hold,
  // Release and Fence saw it: taken (a free or expired lease, or one taken back under a new
  // token), lost (another node holds it now, it expired unrenewed, renewing failed, or Fence
  // found it gone), given up by Release, and held now. For operators (/metrics).
  struct Changes {
    int64_t acquired = 0, lost = 0, released = 0, held = 0;
  };
  // By lease name; names this node never held are absent.
  std::map<std::string, Changes> changes() const;

 private:
  // Records what Hold learnt of (tenant, name): held with `token`, or not held.
  void Track(int64_t tenant, std::string_view name, std::optional<int64_t> token);
  // The lease held under `token` is no longer this node's (`released`: given up, else lost).
  void Forget(int64_t tenant, std::string_view name, int64_t token, bool released);

  store::Database& db_;
  const Clock& clock_;
  const std::string holder_;
  const int64_t ttl_ms_;
  const bool take_;
  mutable Mutex mu_;
  std::map<std::pair<std::string, int64_t>, int64_t> held_ GUARDED_BY(mu_);  // (name, tenant) → token
  std::map<std::string, Changes, std::less<>> changes_ GUARDED_BY(mu_);     // held is filled in by changes()
};

// The node's leases for the consumers built on `db` from now on (the app runtime attaches them
// when several nodes may share the database); null detaches. Consumers marked every_node ignore
// them.
void AttachLeases(store::Database& db, Leases* leases);
Leases* AttachedLeases(store::Database& db);

}  // namespace keel::events
