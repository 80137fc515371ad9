// A real Keel server on an ephemeral loopback port over a fresh database, with two tenants
// ("acme" and "rival") built by testing::BuildOrg and a session token for every acme user.
// Outbound calls (webhooks, the LLM endpoint) may reach 127.0.0.1 — the loopback receivers
// and this server itself — and nothing else that is not public (`outbound` can be changed by
// a test); stored secrets are sealed with a key of this fixture (`secrets`). GET /metrics is
// served as `keel serve` serves it, with `metrics_token` (none: 404).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "domain/auth.h"
#include "domain/records.h"
#include "http/api.h"
#include "http/server.h"
#include "http/streams.h"
#include "ai/service.h"
#include "org/commerce/commerce.h"
#include "org/workflow/approvals.h"
#include "org/budgets.h"
#include "org/changes.h"
#include "org/expenses.h"
#include "org/ledger.h"
#include "org/profit_sharing.h"
#include "org/feedback_links.h"
#include "org/materials.h"
#include "org/governance.h"
#include "text/service.h"
#include "alerts/engine.h"
#include "common/net.h"
#include "common/outbound.h"
#include "common/secrets.h"
#include "events/cluster.h"
#include "http/telemetry.h"
#include "ingest/ingest.h"
#include "metrics/engine.h"
#include "support/test_clock.h"
#include "support/http_client.h"
#include "support/org.h"
#include "support/test_db.h"

namespace keel::testing {

class ServerFixture {
 public:
  explicit ServerFixture(TestBackend backend, std::string metrics_token = {}) {
    db = NewDatabase(backend);
    rs = std::make_unique<domain::RecordService>(*db, TestClock());
    auth = std::make_unique<domain::AuthService>(*db, TestClock(), *rs);
    acme = BuildOrg(*rs, *auth, "acme");
    rival = BuildOrg(*rs, *auth, "rival");
    metrics = std::make_unique<metrics::MetricEngine>(*db, TestClock());
    metrics->Start();
    http::ApiServices services;
    services.metrics = metrics.get();
    alerts::AlertOptions alert_options;
    alert_options.outbound = &outbound;
    alert_options.secrets = &secrets;
    alerts = std::make_unique<alerts::AlertEngine>(*db, *rs, *metrics, TestClock(), alert_options);
    services.alerts = alerts.get();
    ingest = std::make_unique<ingest::Ingestor>(*db, *rs, TestClock());
    ingest->Start();
    services.ingest = ingest.get();
    streams = std::make_unique<http::StreamHub>(*db, *metrics, alerts.get(), TestClock());
    services.streams = streams.get();
    ai::AiOptions ao;
    ao.periodic = false;  // cases drive planning themselves (POST /ai/actions/plan)
    ai = std::make_unique<ai::AiService>(*db, *rs, TestClock(), ao);
    ai->SetAlerts(alerts.get());
    ai->Start();
    services.ai = ai.get();
    text::TextOptions to;
    to.periodic = false;  // recaps are asked for by the cases
    to.min_rated_feedback = 40;
    to.min_per_class = 10;
    to.min_corrections = 4;
    to.outbound = &outbound;
    to.secrets = &secrets;
    text = std::make_unique<text::TextService>(*db, *rs, TestClock(), to);
    text->Start();
    services.text = text.get();
    approvals = std::make_unique<org::ApprovalEngine>(*db, *rs, TestClock());
    approvals->SetAlerts(alerts.get());
    services.approvals = approvals.get();
    commerce = std::make_unique<org::Commerce>(*db, *rs, *approvals, TestClock());
    services.commerce = commerce.get();
    budgets = std::make_unique<org::BudgetService>(*db, TestClock());
    services.budgets = budgets.get();
    ledger = std::make_unique<org::Ledger>(*db, TestClock());
    services.ledger = ledger.get();
    profit_sharing = std::make_unique<org::ProfitSharing>(*db, *ledger, TestClock());
    services.profit_sharing = profit_sharing.get();
    expenses = std::make_unique<org::ExpenseService>(*db, *rs, *approvals, *budgets, *ledger, TestClock());
    services.expenses = expenses.get();
    // Small limits so that the cases can reach them: 4 KB files, 3 answers a minute per link.
    materials = std::make_unique<org::MaterialService>(*db, *rs, TestClock(), 4096);
    services.materials = materials.get();
    feedback_links = std::make_unique<org::FeedbackLinkService>(*db, *rs, TestClock(), org::FeedbackLinkOptions{3});
    services.feedback_links = feedback_links.get();
    governance = std::make_unique<org::Governance>(*db, TestClock());
    commerce->SetGovernance(governance.get());
    expenses->SetGovernance(governance.get());
    changes = std::make_unique<org::ChangeRequests>(*db, *rs, *approvals, *budgets, TestClock());
    changes->SetGovernance(governance.get());
    services.governance = governance.get();
    cluster = std::make_unique<events::ClusterView>(
        *db, TestClock(),
        events::NodeInfo{"test-node", "all", "0.1.0", backend == TestBackend::kSqlite ? "sqlite" : "postgresql", TestClock().NowMs()});
    services.cluster = cluster.get();
    telemetry = std::make_unique<http::Telemetry>(http::TelemetryOptions{std::move(metrics_token), "0.1.0"},
                                                  http::TelemetrySources{cluster.get(), alerts.get(), streams.get()});
    services.telemetry = telemetry.get();
    api = std::make_unique<http::Api>(*db, *rs, *auth, http::ApiOptions{}, services);
    http::ServerOptions so;
    so.port = 0;
    so.body_limit = 1024 * 1024;
    so.shutdown_grace_ms = 3000;
    // The test client is the "proxy": X-Forwarded-For in a case names the client it stands for.
    so.trusted_proxies = net::ParseCidrs({"127.0.0.1"}).value();
    server = std::make_unique<http::Server>(so, [this](const http::Request& r) {
      if (auto scrape = telemetry->Serve(r)) return std::move(*scrape);
      return api->Handle(r);
    });
    auto p = server->Start();
    if (!p.ok()) throw std::runtime_error(p.status().ToString());
    port = *p;
    for (const auto& [name, id] : acme.users) {
      auto login = auth->Login("acme", name, kTestPassword, "127.0.0.1");
      if (!login.ok()) throw std::runtime_error(login.status().ToString());
      tokens[name] = login->token;
    }
    for (const auto& [name, id] : rival.users) {
      auto login = auth->Login("rival", name, kTestPassword, "127.0.0.1");
      if (!login.ok()) throw std::runtime_error(login.status().ToString());
      rival_tokens[name] = login->token;
    }
  }
  ~ServerFixture() {
    server->Stop();
    server.reset();
    api.reset();  // before the services it uses (it unhooks itself from the stream hub)
    streams.reset();
    ingest->Stop();
    ai->Stop();
    text->Stop();
    alerts->Stop();
    metrics->Stop();
  }

  // First: the services below use them until they are destroyed.
  outbound::Policy outbound{{net::ParseCidr("127.0.0.1/32").value()}};
  SecretBox secrets = SecretBox::Ephemeral();
  std::unique_ptr<store::Database> db;
  std::unique_ptr<domain::RecordService> rs;
  std::unique_ptr<domain::AuthService> auth;
  std::unique_ptr<metrics::MetricEngine> metrics;
  std::unique_ptr<alerts::AlertEngine> alerts;
  std::unique_ptr<ingest::Ingestor> ingest;
  std::unique_ptr<http::StreamHub> streams;
  std::unique_ptr<ai::AiService> ai;
  std::unique_ptr<text::TextService> text;
  std::unique_ptr<org::ApprovalEngine> approvals;
  std::unique_ptr<org::Commerce> commerce;
  std::unique_ptr<org::BudgetService> budgets;
  std::unique_ptr<org::Ledger> ledger;
  std::unique_ptr<org::ProfitSharing> profit_sharing;
  std::unique_ptr<org::ExpenseService> expenses;
  std::unique_ptr<org::MaterialService> materials;
  std::unique_ptr<org::FeedbackLinkService> feedback_links;
  std::unique_ptr<org::Governance> governance;
  std::unique_ptr<org::ChangeRequests> changes;
  std::unique_ptr<events::ClusterView> cluster;
  std::unique_ptr<http::Telemetry> telemetry;
  std::unique_ptr<http::Api> api;
  std::unique_ptr<http::Server> server;
  Org acme, rival;
  std::map<std::string, std::string> tokens, rival_tokens;
  int port = 0;
};

}  // namespace keel::testing
