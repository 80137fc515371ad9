// The cluster as operators see it (集群状态): this node, the nodes the `leases` table names, the
// leases and how far each consumer is behind its tenant's log. GET /api/v1/cluster answers a
// tenant admin with ForTenant (never another tenant's leases or lag), `keel status` prints
// Everything, and /metrics reads Figures (sums over tenants, so its series stay few).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "events/consumer.h"
#include "events/lease.h"
#include "events/store.h"
#include "store/database.h"

namespace keel::events {

// This process.
struct NodeInfo {
  std::string name;     // the lease holder name (Leases::holder), or LeaseHolderName() without leases
  std::string role;     // all, api, worker
  std::string version;  // the build's version
  std::string backend;  // sqlite, postgresql
  TimeMs started_at = 0;
};

// A holder the leases table names: how many leases it holds now, until when the latest runs.
struct NodeSeen {
  std::string name;
  int64_t leases = 0;
  TimeMs latest_expiry = 0;
  bool live = false;  // latest_expiry not past: it renewed within the lease lifetime
};

struct LeaseInfo {
  int64_t tenant_id = 0;
  std::string name;  // the consumer or job the lease is for
  std::string holder;
  int64_t token = 0;  // the fencing token, one more at each change of hands
  TimeMs expires_at = 0;  // 0: released
  bool live = false;
};

// How far a consumer is behind one tenant's log: head − position events.
struct ConsumerLag {
  int64_t tenant_id = 0;
  std::string consumer;
  int64_t head = 0;      // the tenant's last sequence number
  int64_t position = 0;  // what the consumer has processed: its cursor, or the engine's own position
  int64_t lag = 0;
  bool own_position = false;  // the engine keeps its position (metrics: this node's, every node folds the log)
};

struct ClusterStatus {
  NodeInfo node;
  std::vector<NodeSeen> nodes;
  std::vector<LeaseInfo> leases;
  std::vector<ConsumerLag> lag;
  std::map<int64_t, std::string> tenant_codes;  // Everything only: the tenants named above
};

// A consumer's figures for /metrics: its counters and, when it reads the log, its lag summed
// over tenants.
struct ConsumerFigures {
  std::string name;
  Consumer::Stats stats;
  std::optional<LagTotal> lag;  // none: it reads no events (woken per tenant, or a timer)
  bool own_position = false;
  bool leased = false;  // runs a tenant only under a lease
};

struct NodeFigures {
  std::vector<ConsumerFigures> consumers;
  std::map<std::string, Leases::Changes> leases;  // by lease name; empty without leases
};

// Thread-safe. The database (and the leases attached to it) must outlive the view.
class ClusterView {
 public:
  ClusterView(store::Database& db, const Clock& clock, NodeInfo self);

  const NodeInfo& node() const { return self_; }
  // The tenant's view: this node, every holder the leases table names with only the tenant's
  // live leases counted, the tenant's leases, and each consumer of this process that reads the
  // log with the tenant's lag (the metric engine's from its own position on this node).
  Result<ClusterStatus> ForTenant(int64_t tenant) const;
  // The operator's view (keel status): every holder with all its leases, every lease, and every
  // cursor of every tenant. A consumer that keeps its own position (metrics) is per node and
  // not in the database: it is listed only when it runs in this process.
  Result<ClusterStatus> Everything() const;
  // For /metrics: the counters of every consumer built on the database in this process, the lag
  // of those that read the log summed over tenants (cursors from the database, the same on every
  // node; an own-position consumer's over the tenants this node has worked on), and this node's
  // lease changes.
  Result<NodeFigures> Figures() const;

 private:
  Result<std::vector<ConsumerLag>> TenantLag(int64_t tenant) const;

  store::Database& db_;
  const Clock& clock_;
  const NodeInfo self_;
};

}  // namespace keel::events
