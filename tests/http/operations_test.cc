// What operators read: GET /metrics (Prometheus text — off without a token, the token checked,
// the counters moving by exactly what was asked, the metrics listener) and GET /api/v1/cluster
// (admins only; a tenant sees its own leases and lag, never another's).
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "events/event_log.h"
#include "events/lease.h"
#include "http/server_fixture.h"
#include "support/webhook_receiver.h"

namespace keel::http {
namespace {

using testing::HttpClient;
using testing::TestBackend;
using testing::TestClock;

const std::string kToken = "metrics-token-0123456789abcdef";

// The value of one series (name with its labels in name order, as the exposition writes them);
// 0 when the series is not there yet.
double Value(const std::string& exposition, const std::string& series) {
  const std::string line = "\n" + series + " ";
  size_t at = ("\n" + exposition).find(line);
  if (at == std::string::npos) return 0;
  return std::stod(exposition.substr(at + line.size() - 1));
}

bool Has(const std::string& exposition, const std::string& series) {
  return ("\n" + exposition).find("\n" + series + " ") != std::string::npos;
}

// A JSON error reply: a 4xx with a code and both messages.
void ExpectError(const testing::HttpReply& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  json e = r.json()["error"];
  EXPECT_EQ(e["code"], code) << r.body;
  EXPECT_FALSE(e["message"].get<std::string>().empty());
  EXPECT_FALSE(e["message_zh"].get<std::string>().empty());
  EXPECT_FALSE(e["request_id"].get<std::string>().empty());
}

class MetricsOffTest : public ::testing::TestWithParam<TestBackend> {};

TEST_P(MetricsOffTest, WithoutATokenMetricsIsNotFoundLikeAnyUnknownPath) {
  testing::ServerFixture f(GetParam());
  HttpClient c(f.port);
  auto r = c.Get("/metrics");
  ExpectError(r, 404, "http.not_found");
  EXPECT_EQ(r.body.find("keel_"), std::string::npos);
  // A guessed token changes nothing, and the reply is the one an unknown path gets.
  ExpectError(c.Get("/metrics", kToken), 404, "http.not_found");
  ExpectError(c.Get("/nothing-here"), 404, "http.not_found");
}

class MetricsTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override { f_ = std::make_unique<testing::ServerFixture>(GetParam(), kToken); }
  std::string Scrape() {
    HttpClient c(f_->port);
    auto r = c.Get("/metrics", kToken);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    return r.body;
  }
  std::unique_ptr<testing::ServerFixture> f_;
};

TEST_P(MetricsTest, TheTokenIsRequired) {
  HttpClient c(f_->port);
  ExpectError(c.Get("/metrics"), 401, "auth.missing_token");
  auto wrong = c.Get("/metrics", kToken + "x");
  ExpectError(wrong, 401, "auth.unauthenticated");
  EXPECT_EQ(wrong.header("WWW-Authenticate"), "Bearer");
  ExpectError(c.Get("/metrics", kToken.substr(0, 10)), 401, "auth.unauthenticated");
  // A user's session token is not the metrics token.
  ExpectError(c.Get("/metrics", f_->tokens.at("admin")), 401, "auth.unauthenticated");
  auto post = c.Send("POST", "/metrics", "{}", kToken);
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.json()["error"]["code"], "http.method_not_allowed");
  EXPECT_EQ(c.Get("/metrics", kToken).status, 200);
}

TEST_P(MetricsTest, RequestCountersMoveByExactlyTheRequestsMade) {
  const std::string health = R"(keel_http_requests_total{method="GET",route="/api/v1/health",status_class="2xx"})";
  const std::string health_count = R"(keel_http_request_duration_seconds_count{method="GET",route="/api/v1/health"})";
  const std::string missing = R"(keel_http_requests_total{method="GET",route="/api/v1/customers/{id}",status_class="4xx"})";
  const std::string unmatched = R"(keel_http_requests_total{method="GET",route="unmatched",status_class="4xx"})";
  const std::string before = Scrape();
  HttpClient c(f_->port);
  for (int i = 0; i < 7; ++i) ASSERT_EQ(c.Get("/api/v1/health").status, 200);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.Get("/api/v1/customers/" + std::to_string(900000 + i), f_->tokens.at("admin")).status, 404);
  ASSERT_EQ(c.Get("/api/v1/no-such-route").status, 404);
  const std::string after = Scrape();
  EXPECT_EQ(Value(after, health) - Value(before, health), 7) << after;
  EXPECT_EQ(Value(after, health_count) - Value(before, health_count), 7);
  EXPECT_EQ(Value(after, missing) - Value(before, missing), 3);
  EXPECT_EQ(Value(after, unmatched) - Value(before, unmatched), 1);
  // Every duration bucket up to +Inf counts the request; the raw paths never become labels.
  EXPECT_GE(Value(after, R"(keel_http_request_duration_seconds_bucket{method="GET",route="/api/v1/health",le="+Inf"})"), 7);
  EXPECT_EQ(after.find("/api/v1/customers/900000"), std::string::npos);
  EXPECT_EQ(after.find("no-such-route"), std::string::npos);
  // Scrapes are not API requests.
  EXPECT_EQ(after.find("route=\"/metrics\""), std::string::npos);
}

TEST_P(MetricsTest, ConsumersStreamsAndTheBuildAreReported) {
  const std::string backend = GetParam() == TestBackend::kSqlite ? "sqlite" : "postgresql";
  testing::MustCreate(*f_->rs, f_->acme.as.at("admin"), "customers", {{"code", "M1"}, {"name", "监控客户"}, {"kind", "b2b"}});
  ASSERT_TRUE(f_->metrics->CatchUp(f_->acme.tenant).ok());
  const std::string text = Scrape();
  EXPECT_EQ(Value(text, R"(keel_build_info{backend=")" + backend + R"(",role="all",version="0.1.0"})"), 1) << text;
  EXPECT_GE(Value(text, R"(keel_consumer_events_total{consumer="metrics"})"), 1);
  for (const char* consumer : {"ai", "text", "metrics"}) {
    for (const char* family : {"keel_consumer_lag_events", "keel_consumer_lag_max_events", "keel_consumer_lagging_tenants",
                               "keel_consumer_batches_total", "keel_consumer_errors_total"}) {
      EXPECT_TRUE(Has(text, std::string(family) + "{consumer=\"" + consumer + "\"}")) << family << " " << consumer;
    }
  }
  // Consumers that read no events have counters and no lag.
  EXPECT_TRUE(Has(text, R"(keel_consumer_batches_total{consumer="alerts.evaluator"})"));
  EXPECT_FALSE(Has(text, R"(keel_consumer_lag_events{consumer="alerts.evaluator"})"));
  EXPECT_EQ(Value(text, "keel_sse_streams_open"), 0);
  EXPECT_TRUE(Has(text, "keel_webhook_queue_depth"));
  // No tenant becomes a label.
  EXPECT_FALSE(std::regex_search(text, std::regex(R"([{,]tenant[a-z_]*=)"))) << text;
}

TEST_P(MetricsTest, WebhookDeliveriesAndTheOutboxAreCounted) {
  testing::Receiver robot({{200, R"({"errcode":0})"}});
  const auto& admin = f_->acme.as.at("admin");
  ASSERT_TRUE(f_->alerts->CreateWebhook(admin, {.name = "群", .channel = "wecom", .url = robot.Url("/w")}).ok());
  const std::string before = Scrape();
  alerts::AlertEngine::Raised a;
  a.rule = "signal.test";
  a.key = "metrics";
  a.label_zh = a.label_en = a.summary_zh = a.summary_en = "test signal";
  a.severity = alerts::Severity::kCritical;
  ASSERT_TRUE(f_->alerts->Raise(f_->acme.tenant, a).ok());
  // The fixture runs no delivery thread: the delivery waits in the outbox…
  const std::string queued = Scrape();
  EXPECT_EQ(Value(queued, "keel_webhook_queue_depth"), 1) << queued;
  // … until an evaluation delivers it.
  ASSERT_TRUE(f_->alerts->EvaluateNow(f_->acme.tenant).ok());
  const std::string after = Scrape();
  EXPECT_EQ(Value(after, "keel_webhook_queue_depth"), 0);
  const std::string delivered = R"(keel_webhook_deliveries_total{outcome="delivered"})";
  EXPECT_EQ(Value(after, delivered) - Value(before, delivered), 1) << after;
  EXPECT_EQ(Value(after, R"(keel_webhook_deliveries_total{outcome="failed"})"), 0);
  EXPECT_EQ(robot.requests().size(), 1u);
}

TEST_P(MetricsTest, TheMetricsListenerServesMetricsAlone) {
  ServerOptions so;
  so.port = 0;
  so.threads = 1;
  so.workers = 1;
  Server listener(so, [this](const Request& r) { return f_->telemetry->ServeListener(r); });
  auto port = listener.Start();
  ASSERT_TRUE(port.ok());
  HttpClient c(*port);
  EXPECT_EQ(c.Get("/metrics", kToken).status, 200);
  ExpectError(c.Get("/metrics"), 401, "auth.missing_token");  // a configured token is asked for here too
  ExpectError(c.Get("/api/v1/health"), 404, "http.not_found");
  listener.Stop();
}

class ClusterTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override { f_ = std::make_unique<testing::ServerFixture>(GetParam()); }
  int64_t Head(int64_t tenant) {
    auto conn = f_->db->Acquire();
    return events::LastSeq(**conn, tenant).value();
  }
  std::unique_ptr<testing::ServerFixture> f_;
};

TEST_P(ClusterTest, OnlyAdminsSeeTheCluster) {
  HttpClient c(f_->port);
  for (const char* user : {"ops", "lead_a", "rep_a1", "analyst", "auditor"}) {
    ExpectError(c.Get("/api/v1/cluster", f_->tokens.at(user)), 403, "auth.forbidden");
  }
  ExpectError(c.Get("/api/v1/cluster"), 401, "auth.missing_token");
  EXPECT_EQ(c.Get("/api/v1/cluster", f_->tokens.at("admin")).status, 200);
}

TEST_P(ClusterTest, ATenantSeesItsOwnLeasesAndLagOnly) {
  // Two nodes hold leases: node-a one of each tenant's, node-b one of rival's only.
  events::Leases node_a(*f_->db, TestClock(), {.holder = "node-a", .ttl_ms = 60000});
  events::Leases node_b(*f_->db, TestClock(), {.holder = "node-b", .ttl_ms = 60000});
  ASSERT_TRUE(node_a.Hold(f_->acme.tenant, "text")->has_value());
  ASSERT_TRUE(node_a.Hold(f_->rival.tenant, "rival-only-work")->has_value());
  ASSERT_TRUE(node_b.Hold(f_->rival.tenant, "text")->has_value());
  // Rival writes more: its log head moves, acme's does not.
  for (int i = 0; i < 3; ++i) {
    testing::MustCreate(*f_->rs, f_->rival.as.at("admin"), "customers",
                        {{"code", "R" + std::to_string(i)}, {"name", "rival"}, {"kind", "b2b"}});
  }
  ASSERT_NE(Head(f_->acme.tenant), Head(f_->rival.tenant));

  HttpClient c(f_->port);
  auto r = c.Get("/api/v1/cluster", f_->tokens.at("admin"));
  ASSERT_EQ(r.status, 200) << r.body;
  json body = r.json();
  EXPECT_EQ(body["node"]["name"], "test-node");
  EXPECT_EQ(body["node"]["role"], "all");
  EXPECT_EQ(body["node"]["version"], "0.1.0");
  EXPECT_EQ(body["node"]["database"], GetParam() == TestBackend::kSqlite ? "sqlite" : "postgresql");
  EXPECT_TRUE(std::regex_match(body["node"]["started_at"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  // Acme's one lease, with its holder, fencing token and expiry in RFC 3339 UTC.
  ASSERT_EQ(body["leases"].size(), 1u) << body.dump();
  EXPECT_EQ(body["leases"][0]["name"], "text");
  EXPECT_EQ(body["leases"][0]["holder"], "node-a");
  EXPECT_EQ(body["leases"][0]["token"], 1);
  const std::string expires = body["leases"][0]["expires_at"];
  EXPECT_TRUE(std::regex_match(expires, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"))) << expires;
  EXPECT_GT(expires, FormatTimestamp(TestClock().NowMs() + 50000));  // a minute's lease, taken just now
  EXPECT_EQ(body["leases"][0]["live"], true);
  // Both nodes are listed; only acme's leases are counted.
  ASSERT_EQ(body["nodes"].size(), 2u);
  EXPECT_EQ(body["nodes"][0]["name"], "node-a");
  EXPECT_EQ(body["nodes"][0]["leases"], 1);
  EXPECT_EQ(body["nodes"][1]["name"], "node-b");
  EXPECT_EQ(body["nodes"][1]["leases"], 0);
  // Lag per consumer that reads the log, against acme's own head.
  std::set<std::string> consumers;
  for (const auto& l : body["lag"]) {
    consumers.insert(l["consumer"].get<std::string>());
    EXPECT_EQ(l["head"], Head(f_->acme.tenant)) << l.dump();
    EXPECT_EQ(l["lag"].get<int64_t>(), l["head"].get<int64_t>() - l["position"].get<int64_t>());
  }
  EXPECT_EQ(consumers, (std::set<std::string>{"ai", "metrics", "text"}));
  // Isolation: nothing of rival's leases reaches acme.
  EXPECT_EQ(r.body.find("rival-only-work"), std::string::npos);

  // Rival sees its two leases and its own head, never acme's lease.
  auto rr = c.Get("/api/v1/cluster", f_->rival_tokens.at("admin"));
  ASSERT_EQ(rr.status, 200) << rr.body;
  json rival = rr.json();
  ASSERT_EQ(rival["leases"].size(), 2u) << rival.dump();
  for (const auto& l : rival["leases"]) EXPECT_TRUE(l["name"] == "rival-only-work" || (l["name"] == "text" && l["holder"] == "node-b"));
  EXPECT_EQ(rival["nodes"][0]["leases"], 1);
  EXPECT_EQ(rival["nodes"][1]["leases"], 1);
  for (const auto& l : rival["lag"]) EXPECT_EQ(l["head"], Head(f_->rival.tenant));

  // A released lease shows without an expiry.
  ASSERT_TRUE(node_a.Release(f_->acme.tenant, "text", 1).ok());
  json released = c.Get("/api/v1/cluster", f_->tokens.at("admin")).json();
  EXPECT_TRUE(released["leases"][0]["expires_at"].is_null());
  EXPECT_EQ(released["leases"][0]["live"], false);
  EXPECT_EQ(released["nodes"][0]["leases"], 0);
}

const auto kBackends = ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres);
const auto kName = [](const auto& info) { return testing::BackendName(info.param); };
INSTANTIATE_TEST_SUITE_P(Backends, MetricsOffTest, kBackends, kName);
INSTANTIATE_TEST_SUITE_P(Backends, MetricsTest, kBackends, kName);
INSTANTIATE_TEST_SUITE_P(Backends, ClusterTest, kBackends, kName);

}  // namespace
}  // namespace keel::http
