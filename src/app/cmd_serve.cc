// `keel serve`: the HTTP API, the web front end and every engine's background work.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/runtime.h"
#include "common/net.h"
#include "common/outbound.h"
#include "demo/live.h"
#include "events/cluster.h"
#include "events/lease.h"
#include "http/api.h"
#include "http/server.h"
#include "http/static_files.h"
#include "http/telemetry.h"

namespace keel::app {

namespace {

struct ServeArgs {
  std::string live_demo;  // tenant code fed by the simulator
};

// Secrets stored in plain text by an older Keel, or under the key being rotated out, are sealed
// with the current key before anything is sent.
Status ResealAtStart(Runtime& rt) {
  KEEL_ASSIGN_OR_RETURN(auto hooks, rt.alerts.ResealSecrets());
  KEEL_ASSIGN_OR_RETURN(auto llm, rt.text.ResealSecrets());
  if (hooks.resealed + llm.resealed > 0) {
    spdlog::info("secrets re-encrypted with the current key: webhooks={} llm_keys={}", hooks.resealed, llm.resealed);
  }
  if (hooks.unreadable + llm.unreadable > 0) {
    spdlog::warn("secrets that no configured key opens: webhooks={} llm_keys={} (set KEEL_SECRET_KEY_OLD, or enter them again)",
                 hooks.unreadable, llm.unreadable);
  }
  return Status();
}

http::ServerOptions ServerOptionsOf(const Config& c) {
  http::ServerOptions so;
  so.host = c.host;
  so.port = static_cast<uint16_t>(c.port);
  so.threads = c.threads;
  so.workers = c.workers;
  so.body_limit = static_cast<size_t>(c.body_limit_mb) * 1024 * 1024;
  so.request_timeout_ms = c.request_timeout_ms;
  so.trusted_proxies = net::ParseCidrs(c.trusted_proxies).value();  // checked by Validate
  return so;
}

Result<http::StaticFiles> LoadWeb(const Config& c) {
  std::string root = c.web_root.empty() ? http::StaticFiles::FindDefaultRoot() : c.web_root;
  if (root.empty()) {
    spdlog::warn("the web front end is not built (make build); serving the API only");
    return http::StaticFiles();
  }
  KEEL_ASSIGN_OR_RETURN(http::StaticFiles web, http::StaticFiles::Load(root));
  spdlog::info("web root={} files={} bytes={}", root, web.files(), web.bytes());
  return web;
}

// This process as GET /api/v1/cluster and keel_build_info show it.
events::NodeInfo NodeInfoOf(const Config& c, const events::Leases* leases, const store::Database& db) {
  return {leases ? leases->holder() : events::LeaseHolderName(), c.role, kVersion,
          db.backend() == store::Backend::kSqlite ? "sqlite" : "postgresql", Clock::System()->NowMs()};
}

// The metrics listener (metrics-listen): /metrics alone, on an address only operators reach;
// null when none is configured.
Result<std::unique_ptr<http::Server>> StartMetricsListener(const Config& c, const http::Telemetry& telemetry) {
  if (c.metrics_listen.empty()) {
    if (c.metrics_token.empty()) spdlog::info("metrics: /metrics is off (set metrics-token or metrics-listen)");
    return std::unique_ptr<http::Server>();
  }
  auto [host, port] = ParseListenAddress(c.metrics_listen).value();  // checked by Validate
  http::ServerOptions so;
  so.host = host;
  so.port = static_cast<uint16_t>(port);
  so.threads = 1;
  so.workers = 1;
  so.body_limit = 64 * 1024;
  so.request_timeout_ms = c.request_timeout_ms;
  auto server = std::make_unique<http::Server>(so, [&telemetry](const http::Request& r) { return telemetry.ServeListener(r); });
  KEEL_RETURN_IF_ERROR(server->Start().status());
  spdlog::info("metrics url=http://{}/metrics token={}", c.metrics_listen, c.metrics_token.empty() ? "none" : "required");
  return server;
}

// Blocks until SIGINT or SIGTERM (whichever thread receives it).
std::atomic<bool> g_signalled{false};
void WaitForSignal() {
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_signalled.store(true); };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  while (!g_signalled.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

int Serve(Config& c, const ServeArgs& args) {
  auto opened = OpenStore(c, c.sqlite_synchronous, *Clock::System());
  if (!opened.ok()) return Fail(opened.status());
  // Outbound calls reach public addresses and what the operator allow-listed; secrets are
  // sealed with the configured key (see LoadSecretBox).
  outbound::Policy outbound(net::ParseCidrs(c.outbound_allow).value());
  if (!c.outbound_allow.empty()) {
    std::string list;
    for (const auto& a : c.outbound_allow) list += (list.empty() ? "" : ",") + a;
    spdlog::info("outbound allow-list={}", list);
  }
  auto box = LoadSecretBox(c, /*create_default=*/true);
  if (!box.ok()) return Fail(box.status());
  // On PostgreSQL other nodes may share the database: commits are announced to them, and the
  // background work that must run once (AI rescoring, text analysis, alert evaluation, the
  // approval timer) runs under leases. Attached before the engines build their consumers.
  std::optional<events::Leases> leases;
  if (opened->db->backend() == store::Backend::kPostgres) {
    if (Status st = opened->db->EnableClusterNotifications(); !st.ok()) return Fail(st);
    leases.emplace(*opened->db, *Clock::System(), events::LeaseOptions{.ttl_ms = c.lease_ttl_ms, .take = c.role != "api"});
    events::AttachLeases(*opened->db, &*leases);
    spdlog::info("cluster role={} node={} lease_ttl_ms={}", c.role, leases->holder(), c.lease_ttl_ms);
  } else if (c.role != "all") {
    return Fail(Status::Invalid("config.range", "role api or worker needs PostgreSQL (one SQLite file has one node)",
                                "api 或 worker 角色需要 PostgreSQL（SQLite 只支持单节点）", "role"));
  }
  Runtime rt(*opened, *Clock::System(), {.outbound = &outbound, .secrets = &*box});
  if (box->has_key()) {
    if (Status st = ResealAtStart(rt); !st.ok()) return Fail(st);
  }
  rt.Start();
  demo::LiveOptions lo;
  if (!args.live_demo.empty()) lo.tenant_code = args.live_demo;
  demo::LiveSimulator simulator(*opened->db, *opened->records, rt.ingest, *Clock::System(), lo);
  if (!args.live_demo.empty()) {
    if (Status st = simulator.Start(); !st.ok()) return Fail(st);
  }
  // What operators see: GET /api/v1/cluster and GET /metrics.
  events::ClusterView cluster(*opened->db, *Clock::System(), NodeInfoOf(c, leases ? &*leases : nullptr, *opened->db));
  http::Telemetry telemetry({c.metrics_token, kVersion}, {&cluster, &rt.alerts, &rt.streams});
  auto metrics_listener = StartMetricsListener(c, telemetry);
  if (!metrics_listener.ok()) return Fail(metrics_listener.status());
  if (c.role == "worker") {
    // No API listener: the background work until SIGINT/SIGTERM (and /metrics on metrics-listen).
    if (!c.metrics_token.empty() && c.metrics_listen.empty()) {
      spdlog::warn("metrics: a worker has no API listener to serve /metrics on; set metrics-listen");
    }
    std::printf("Keel worker node is running (database: %s)\n", opened->db->Describe().c_str());
    std::fflush(stdout);
    WaitForSignal();
    metrics_listener->reset();
    simulator.Stop();
    rt.Stop();
    events::AttachLeases(*opened->db, nullptr);
    spdlog::info("worker stopped");
    return 0;
  }
  http::ApiServices services = rt.Services();
  services.cluster = &cluster;
  services.telemetry = &telemetry;
  http::Api api(*opened->db, *opened->records, *opened->auth, {kVersion}, services);
  auto web = LoadWeb(c);
  if (!web.ok()) return Fail(web.status());
  http::Server server(ServerOptionsOf(c), [&api, &web, &telemetry](const http::Request& r) {
    if (auto scrape = telemetry.Serve(r)) return std::move(*scrape);  // before the front end's deep links
    if (auto page = web->Serve(r)) return std::move(*page);
    return api.Handle(r);
  });
  auto port = server.Start();
  if (!port.ok()) return Fail(port.status());
  spdlog::info("serve url=http://{}:{}/api/v1 database={} threads={}", c.host, *port, opened->db->Describe(), c.threads);
  std::printf("Keel is listening on http://%s:%d/  (API: /api/v1, OpenAPI: /api/v1/openapi.json)\n", c.host.c_str(), *port);
  std::fflush(stdout);
  server.Wait(true);
  metrics_listener->reset();
  simulator.Stop();
  rt.Stop();
  events::AttachLeases(*opened->db, nullptr);
  spdlog::info("serve stopped");
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, Config& c, Commands& out) {
  auto args = std::make_shared<ServeArgs>();
  if (const char* v = std::getenv("KEEL_LIVE_DEMO")) args->live_demo = v;
  auto* serve = app.add_subcommand("serve", "Run the HTTP API server");
  serve->footer("Every option can also be set in keel.toml (--config FILE or $KEEL_CONFIG; keys as the "
                "long option names, e.g. pool-size = 8) and overridden by its KEEL_* variable, then by the flag.");
  AddCommon(serve, c);
  serve->add_option("--web-root", c.web_root, "directory of the built web front end [env KEEL_WEB_ROOT; default: web/dist here or beside the binary]");
  serve->add_option("--host", c.host, "listen address [env KEEL_HOST]")->capture_default_str();
  serve->add_option("--port,-p", c.port, "listen port (0: any free port) [env KEEL_PORT]")
      ->capture_default_str()->check(CLI::Range(0, 65535));
  serve->add_option("--workers", c.workers, "handler threads (database work, password hashing); keep pool-size ≥ workers [env KEEL_WORKERS]")
      ->capture_default_str()->check(CLI::Range(1, 256));
  serve->add_option("--threads", c.threads, "I/O threads [env KEEL_THREADS]")
      ->capture_default_str()->check(CLI::Range(1, 64));
  serve->add_option("--body-limit-mb", c.body_limit_mb, "largest request body in MiB [env KEEL_BODY_LIMIT_MB]")
      ->capture_default_str()->check(CLI::Range(1, 1024));
  serve->add_option("--request-timeout-ms", c.request_timeout_ms, "time to read a request and write its reply [env KEEL_REQUEST_TIMEOUT_MS]")
      ->capture_default_str()->check(CLI::Range(100, 600000));
  serve->add_option("--session-ttl-hours", c.session_ttl_hours, "login session lifetime [env KEEL_SESSION_TTL_HOURS]")
      ->capture_default_str()->check(CLI::Range(1, 24 * 90));
  serve->add_option("--role", c.role, "all: API and background work; api: API only (takes no leases); worker: background work only — api and worker need PostgreSQL [env KEEL_ROLE]")
      ->capture_default_str()->check(CLI::IsMember({"all", "api", "worker"}));
  serve->add_option("--lease-ttl-ms", c.lease_ttl_ms, "on PostgreSQL: how long a dead node keeps its share of the background work [env KEEL_LEASE_TTL_MS]")
      ->capture_default_str()->check(CLI::Range(1000, 600000));
  serve->add_option("--metrics-token", c.metrics_token, "bearer token for GET /metrics on the API's port (none: 404 there); prefer keel.toml or the environment, which ps does not show [env KEEL_METRICS_TOKEN]");
  serve->add_option("--metrics-listen", c.metrics_listen, "a separate address serving GET /metrics alone, e.g. 127.0.0.1:9464 [env KEEL_METRICS_LISTEN]");
  serve->add_option("--live-demo", args->live_demo, "tenant code to feed with simulated live facts (the moving demo) [env KEEL_LIVE_DEMO]");
  out.push_back({serve, [&c, args] { return Serve(c, *args); }});
}

}  // namespace keel::app
