#include "events/cluster.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include "events/event_log.h"
#include "store/tenant_scope.h"

namespace keel::events {

namespace {

std::vector<NodeSeen> NodesSeen(const std::vector<HolderRow>& rows, TimeMs now) {
  std::vector<NodeSeen> out;
  for (const auto& h : rows) out.push_back({h.holder, h.live_leases, h.latest_expiry, h.latest_expiry >= now});
  return out;
}

std::vector<LeaseInfo> LeaseInfos(const std::vector<LeaseRow>& rows, TimeMs now) {
  std::vector<LeaseInfo> out;
  for (const auto& l : rows) out.push_back({l.tenant_id, l.name, l.holder, l.token, l.expires_at, l.expires_at >= now});
  return out;
}

ConsumerLag Lag(int64_t tenant, std::string consumer, int64_t head, int64_t position, bool own_position) {
  return {tenant, std::move(consumer), head, position, std::max<int64_t>(0, head - position), own_position};
}

}  // namespace

ClusterView::ClusterView(store::Database& db, const Clock& clock, NodeInfo self)
    : db_(db), clock_(clock), self_(std::move(self)) {}

Result<std::vector<ConsumerLag>> ClusterView::TenantLag(int64_t tenant) const {
  const std::vector<ConsumerSnapshot> consumers = ConsumersOf(db_);
  // First the engines' own positions on this node: Position may load the tenant's state and
  // borrow a connection of its own (one tenant only).
  std::map<std::string, int64_t> own;
  for (const ConsumerSnapshot& c : consumers) {
    if (!c.reads_events || !c.own_position) continue;
    Result<int64_t> at = int64_t{0};
    WithConsumer(db_, c.name, [&](Consumer& consumer) { at = consumer.Position(tenant); });
    KEEL_RETURN_IF_ERROR(at.status());
    own[c.name] = *at;
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(int64_t head, LastSeq(*conn, tenant));
  std::vector<ConsumerLag> out;
  for (const ConsumerSnapshot& c : consumers) {
    if (!c.reads_events) continue;
    if (c.own_position) {
      out.push_back(Lag(tenant, c.name, head, own[c.name], true));
      continue;
    }
    // A tenant without a cursor row is read from the start (Consumer::RunTenant).
    KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> cursor, LoadCursor(*conn, tenant, c.name));
    out.push_back(Lag(tenant, c.name, head, cursor.value_or(0), false));
  }
  return out;
}

Result<ClusterStatus> ClusterView::ForTenant(int64_t tenant) const {
  const TimeMs now = clock_.NowMs();
  ClusterStatus s;
  s.node = self_;
  KEEL_ASSIGN_OR_RETURN(s.lag, TenantLag(tenant));  // before borrowing a connection: it may borrow its own
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  std::vector<HolderRow> holders;
  {
    // Which nodes are alive is the operator's to know, not a tenant's: read across tenants in the
    // system scope (row-level security); only node names and this tenant's counts come out.
    store::TenantScope system(0);
    KEEL_ASSIGN_OR_RETURN(holders, LeaseHolders(*conn, now, tenant));
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<LeaseRow> leases, ListLeases(*conn, tenant));
  s.nodes = NodesSeen(holders, now);
  s.leases = LeaseInfos(leases, now);
  return s;
}

Result<ClusterStatus> ClusterView::Everything() const {
  const TimeMs now = clock_.NowMs();
  ClusterStatus s;
  s.node = self_;
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<HolderRow> holders, LeaseHolders(*conn, now, std::nullopt));
  KEEL_ASSIGN_OR_RETURN(std::vector<LeaseRow> leases, ListLeases(*conn, std::nullopt));
  KEEL_ASSIGN_OR_RETURN(std::vector<CursorRow> cursors, ListCursors(*conn, std::nullopt));
  KEEL_ASSIGN_OR_RETURN(s.tenant_codes, TenantCodes(*conn));
  KEEL_ASSIGN_OR_RETURN(auto heads, LogHeads(*conn));
  s.nodes = NodesSeen(holders, now);
  s.leases = LeaseInfos(leases, now);
  // Every consumer with a cursor anywhere, against every tenant's head: a tenant without a
  // cursor row is read from the start (Consumer::RunTenant).
  std::set<std::string> names;
  std::map<std::pair<int64_t, std::string>, int64_t> at;
  for (const auto& c : cursors) {
    names.insert(c.consumer);
    at[{c.tenant_id, c.consumer}] = c.seq;
  }
  const std::vector<ConsumerSnapshot> running = ConsumersOf(db_);
  for (const ConsumerSnapshot& c : running) {
    if (c.reads_events && !c.own_position) names.insert(c.name);
  }
  for (const auto& [tenant, head] : heads) {
    for (const std::string& name : names) {
      auto it = at.find({tenant, name});
      s.lag.push_back(Lag(tenant, name, head, it == at.end() ? 0 : it->second, false));
    }
  }
  for (const ConsumerSnapshot& c : running) {
    if (!c.reads_events || !c.own_position) continue;
    for (const auto& [tenant, seq] : c.positions) s.lag.push_back(Lag(tenant, c.name, heads[tenant], seq, true));
  }
  std::sort(s.lag.begin(), s.lag.end(), [](const ConsumerLag& a, const ConsumerLag& b) {
    return std::tie(a.tenant_id, a.consumer) < std::tie(b.tenant_id, b.consumer);
  });
  return s;
}

Result<NodeFigures> ClusterView::Figures() const {
  NodeFigures f;
  const std::vector<ConsumerSnapshot> consumers = ConsumersOf(db_);
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  std::map<int64_t, int64_t> heads;
  for (const ConsumerSnapshot& c : consumers) {
    ConsumerFigures out{c.name, c.stats, std::nullopt, c.own_position, c.leased};
    if (c.reads_events && !c.own_position) {
      KEEL_ASSIGN_OR_RETURN(LagTotal lag, CursorLagTotal(*conn, c.name));
      out.lag = lag;
    } else if (c.reads_events) {
      if (heads.empty()) {
        KEEL_ASSIGN_OR_RETURN(heads, LogHeads(*conn));
      }
      LagTotal lag;
      for (const auto& [tenant, seq] : c.positions) {
        auto it = heads.find(tenant);
        const int64_t behind = std::max<int64_t>(0, (it == heads.end() ? 0 : it->second) - seq);
        lag.behind += behind;
        lag.worst = std::max(lag.worst, behind);
        lag.tenants += behind > 0 ? 1 : 0;
      }
      out.lag = lag;
    }
    f.consumers.push_back(std::move(out));
  }
  if (Leases* leases = AttachedLeases(db_)) f.leases = leases->changes();
  return f;
}

}  // namespace keel::events
