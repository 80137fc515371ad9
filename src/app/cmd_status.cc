// `keel status`: what the database says of the cluster — the nodes holding leases, every lease,
// and how far each consumer's cursor is behind its tenant's log (the operator's view of
// GET /api/v1/cluster, over every tenant). The metric engine's lag is per node and in memory:
// each node's /metrics has it.
#include <cstdio>
#include <string>

#include "app/commands.h"
#include "app/runtime.h"
#include "events/cluster.h"

namespace keel::app {

namespace {

std::string TimeText(TimeMs ms) { return ms > 0 ? FormatTimestamp(ms) : "released"; }

std::string TenantText(const events::ClusterStatus& s, int64_t tenant) {
  auto it = s.tenant_codes.find(tenant);
  return it == s.tenant_codes.end() ? std::to_string(tenant) : it->second + " (" + std::to_string(tenant) + ")";
}

void Print(const events::ClusterStatus& s) {
  std::printf("database: %s\n\n", s.node.backend.c_str());
  std::printf("nodes (lease holders):\n");
  if (s.nodes.empty()) std::printf("  none: no node has taken a lease (one node on SQLite, or none started on PostgreSQL)\n");
  for (const auto& n : s.nodes) {
    std::printf("  %-40s %-5s leases=%-5lld latest_expiry=%s\n", n.name.c_str(), n.live ? "live" : "gone",
                static_cast<long long>(n.leases), TimeText(n.latest_expiry).c_str());
  }
  std::printf("\nleases:\n");
  if (s.leases.empty()) std::printf("  none\n");
  for (const auto& l : s.leases) {
    std::printf("  %-24s %-20s holder=%s token=%lld expires_at=%s%s\n", TenantText(s, l.tenant_id).c_str(), l.name.c_str(),
                l.holder.c_str(), static_cast<long long>(l.token), TimeText(l.expires_at).c_str(), l.live ? "" : " (expired)");
  }
  std::printf("\nconsumer lag (events behind the log head):\n");
  if (s.lag.empty()) std::printf("  none\n");
  for (const auto& c : s.lag) {
    std::printf("  %-24s %-12s head=%-8lld position=%-8lld lag=%lld\n", TenantText(s, c.tenant_id).c_str(), c.consumer.c_str(),
                static_cast<long long>(c.head), static_cast<long long>(c.position), static_cast<long long>(c.lag));
  }
}

int PrintStatus(const Config& c) {
  auto opened = OpenStore(c, c.sqlite_synchronous, *Clock::System());
  if (!opened.ok()) return Fail(opened.status());
  const store::Database& db = *opened->db;
  events::NodeInfo self{"", "", kVersion, db.backend() == store::Backend::kSqlite ? "sqlite" : "postgresql", 0};
  events::ClusterView view(*opened->db, *Clock::System(), self);
  auto s = view.Everything();
  if (!s.ok()) return Fail(s.status());
  Print(*s);
  return 0;
}

}  // namespace

void AddStatusCommand(CLI::App& app, Config& c, Commands& out) {
  auto* status = app.add_subcommand("status", "Print the nodes holding leases, every lease and each consumer's lag per tenant");
  AddCommon(status, c);
  out.push_back({status, [&c] { return PrintStatus(c); }});
}

}  // namespace keel::app
