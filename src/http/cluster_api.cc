// GET /api/v1/cluster: this node, the nodes the leases table names, and the caller's tenant's
// leases and consumer lag (admin). Never another tenant's leases or lag: events::ClusterView::
// ForTenant reads the caller's tenant only, and counts only its leases per node.
#include "events/cluster.h"
#include "http/api.h"
#include "http/openapi.h"

namespace keel::http {

namespace {

// An RFC 3339 UTC time, or null for 0 (a released lease expires at 0).
json TimeOrNull(TimeMs ms) { return ms > 0 ? json(FormatTimestamp(ms)) : json(nullptr); }

json ToJson(const events::ClusterStatus& s) {
  json nodes = json::array(), leases = json::array(), lag = json::array();
  for (const auto& n : s.nodes) {
    nodes.push_back({{"name", n.name}, {"leases", n.leases}, {"latest_expiry", TimeOrNull(n.latest_expiry)}, {"live", n.live}});
  }
  for (const auto& l : s.leases) {
    leases.push_back({{"name", l.name}, {"holder", l.holder}, {"token", l.token}, {"expires_at", TimeOrNull(l.expires_at)},
                      {"live", l.live}});
  }
  for (const auto& c : s.lag) {
    lag.push_back({{"consumer", c.consumer}, {"head", c.head}, {"position", c.position}, {"lag", c.lag},
                   {"own_position", c.own_position}});
  }
  const events::NodeInfo& n = s.node;
  return {{"node", {{"name", n.name}, {"role", n.role}, {"version", n.version}, {"started_at", FormatTimestamp(n.started_at)},
                    {"database", n.backend}}},
          {"nodes", std::move(nodes)},
          {"leases", std::move(leases)},
          {"lag", std::move(lag)}};
}

json ClusterSchema() {
  using namespace schema;  // NOLINT(google-build-using-namespace): the builders read as the schema
  json node = Obj({{"name", Str("the node's lease holder name (host:pid:random)")},
                   {"role", Enum({"all", "api", "worker"})},
                   {"version", Str()},
                   {"started_at", Time()},
                   {"database", Enum({"sqlite", "postgresql"})}},
                  {"name", "role", "version", "started_at", "database"}, "The node that answered / 应答的节点");
  json seen = Obj({{"name", Str("a lease holder: a node")},
                   {"leases", Int("the caller's tenant's leases it holds now")},
                   {"latest_expiry", Null(Time("the latest expiry of any of its leases; null: all released"))},
                   {"live", Bool("it renewed a lease within the lease lifetime")}},
                  {"name", "leases", "latest_expiry", "live"});
  json lease = Obj({{"name", Str("the consumer the lease is for (ai, text, alerts.evaluator, approvals.timer)")},
                    {"holder", Str("the node holding it")},
                    {"token", Int("the fencing token: one more at each change of hands")},
                    {"expires_at", Null(Time("null: released"))},
                    {"live", Bool()}},
                   {"name", "holder", "token", "expires_at", "live"});
  json lag = Obj({{"consumer", Str()},
                  {"head", Int("the tenant's last event sequence number")},
                  {"position", Int("the last sequence number the consumer has processed")},
                  {"lag", Int("head − position: events still to process")},
                  {"own_position", Bool("the engine keeps its own position on each node (metrics), not a shared cursor")}},
                 {"consumer", "head", "position", "lag", "own_position"});
  return Obj({{"node", node}, {"nodes", Arr(seen, "every node the leases table names")},
              {"leases", Arr(lease, "the caller's tenant's leases")}, {"lag", Arr(lag, "the caller's tenant's lag per consumer")}},
             {"node", "nodes", "leases", "lag"}, "The cluster as the caller's tenant sees it / 本租户所见的集群状态");
}

}  // namespace

void Api::AddClusterRoutes() {
  events::ClusterView* cluster = services_.cluster;
  if (!cluster) return;
  RouteDoc doc{"The cluster's status for the caller's tenant: this node, the nodes holding leases, the tenant's leases "
               "and how far each background consumer is behind its event log (admin)",
               "集群状态（管理员）：本节点、持有租约的节点、本租户的租约与各后台消费者的延迟", "system", nullptr, ClusterSchema()};
  doc.operation_id = "getClusterStatus";
  router_.Add("GET", "/api/v1/cluster", [cluster](Call& c) -> Result<Reply> {
    if (c.p().role != domain::Role::kAdmin) {
      return Status::Error(ErrorKind::kForbidden, "auth.forbidden", "only admins see the cluster's status",
                           "只有管理员可以查看集群状态");
    }
    KEEL_ASSIGN_OR_RETURN(events::ClusterStatus s, cluster->ForTenant(c.p().tenant_id));
    return Reply{200, ToJson(s)};
  }, doc);
}

}  // namespace keel::http
