#include "http/telemetry.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "alerts/engine.h"
#include "common/crypto.h"
#include "events/cluster.h"
#include "http/api.h"
#include "http/streams.h"

namespace keel::http {

namespace {

namespace prom = prometheus;

constexpr std::string_view kPath = "/metrics";
constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// A method Beast parsed may be any token: the label takes the standard ones only.
std::string MethodLabel(std::string_view method) {
  for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
    if (method == m) return m;
  }
  return "other";
}

std::string StatusClass(int status) {
  if (status < 100 || status > 599) return "other";
  return std::to_string(status / 100) + "xx";
}

// A family read at scrape time: counters and gauges whose values live elsewhere (a consumer's
// Stats, the alert engine's deliveries), reported as they are rather than copied into the
// registry by differences.
prom::MetricFamily Pulled(std::string name, std::string help, prom::MetricType type) {
  return prom::MetricFamily{std::move(name), std::move(help), type, {}};
}

void Sample(prom::MetricFamily& f, std::vector<prom::ClientMetric::Label> labels, double value) {
  prom::ClientMetric m;
  m.label = std::move(labels);
  if (f.type == prom::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
}

}  // namespace

struct Telemetry::Impl {
  TelemetryOptions options;
  TelemetrySources sources;
  std::shared_ptr<prom::Registry> registry = std::make_shared<prom::Registry>();
  prom::Family<prom::Counter>& requests =
      prom::BuildCounter()
          .Name("keel_http_requests_total")
          .Help("API requests answered, by method, route pattern (unmatched: no route) and status class")
          .Register(*registry);
  prom::Family<prom::Histogram>& latency =
      prom::BuildHistogram()
          .Name("keel_http_request_duration_seconds")
          .Help("Time from a parsed API request to its reply, by method and route pattern")
          .Register(*registry);
  prom::Family<prom::Gauge>& build =
      prom::BuildGauge().Name("keel_build_info").Help("Always 1; the labels say which Keel this node runs").Register(*registry);
  const prom::Histogram::BucketBoundaries buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

  // Series already made (Family::Add builds an object before it looks one up).
  std::mutex mu;
  std::unordered_map<std::string, prom::Counter*> counters;
  std::unordered_map<std::string, prom::Histogram*> histograms;

  void AppendPulled(std::vector<prom::MetricFamily>& out) const;
  std::string Render() const {
    std::vector<prom::MetricFamily> families = registry->Collect();
    AppendPulled(families);
    return prom::TextSerializer().Serialize(families);
  }
  Response Scrape(const Request& req) const;
};

void Telemetry::Impl::AppendPulled(std::vector<prom::MetricFamily>& out) const {
  if (sources.cluster) {
    auto figures = sources.cluster->Figures();
    if (!figures.ok()) {
      spdlog::warn("metrics: consumer figures not read: {}", figures.status().ToString());
    } else {
      using T = prom::MetricType;
      auto events = Pulled("keel_consumer_events_total", "Events a consumer has handed to its engine on this node", T::Counter);
      auto batches = Pulled("keel_consumer_batches_total", "Batches (or per-tenant passes) a consumer's engine finished", T::Counter);
      auto errors = Pulled("keel_consumer_errors_total", "Failed passes of a consumer (the tenant is retried after a back-off)", T::Counter);
      auto jobs = Pulled("keel_consumer_jobs_total", "Posted jobs a consumer ran (training and other long work)", T::Counter);
      auto lag = Pulled("keel_consumer_lag_events",
                        "Events not yet processed by a consumer, summed over tenants (cursors: the same on every node; "
                        "metrics: this node's own position)", T::Gauge);
      auto worst = Pulled("keel_consumer_lag_max_events", "Events to go for the tenant furthest behind", T::Gauge);
      auto behind = Pulled("keel_consumer_lagging_tenants", "Tenants with at least one event still to process", T::Gauge);
      auto changes = Pulled("keel_lease_changes_total",
                            "Changes of this node's leases by lease name (a consumer, or metrics.flush): acquired, lost "
                            "(taken by another node, expired, renewal failed) and released (a clean stop)", T::Counter);
      auto held = Pulled("keel_leases_held", "Leases (one per name and tenant) this node holds now", T::Gauge);
      std::map<std::string, events::Leases::Changes> leases = figures->leases;
      for (const auto& c : figures->consumers) {
        const std::vector<prom::ClientMetric::Label> by = {{"consumer", c.name}};
        Sample(events, by, static_cast<double>(c.stats.events));
        Sample(batches, by, static_cast<double>(c.stats.batches));
        Sample(errors, by, static_cast<double>(c.stats.errors));
        Sample(jobs, by, static_cast<double>(c.stats.jobs));
        if (c.lag) {
          Sample(lag, by, static_cast<double>(c.lag->behind));
          Sample(worst, by, static_cast<double>(c.lag->worst));
          Sample(behind, by, static_cast<double>(c.lag->tenants));
        }
        if (c.leased) leases.try_emplace(c.name);  // zeros until its first lease
      }
      for (const auto& [name, n] : leases) {
        Sample(changes, {{"change", "acquired"}, {"lease", name}}, static_cast<double>(n.acquired));
        Sample(changes, {{"change", "lost"}, {"lease", name}}, static_cast<double>(n.lost));
        Sample(changes, {{"change", "released"}, {"lease", name}}, static_cast<double>(n.released));
        Sample(held, {{"lease", name}}, static_cast<double>(n.held));
      }
      for (auto* f : {&events, &batches, &errors, &jobs, &lag, &worst, &behind, &changes, &held}) {
        if (!f->metric.empty()) out.push_back(std::move(*f));
      }
    }
  }
  if (sources.alerts) {
    const alerts::AlertEngine::DeliveryStats d = sources.alerts->delivery_stats();
    auto deliveries = Pulled("keel_webhook_deliveries_total",
                             "Alert webhook deliveries by outcome: delivered, failed (after retries, or refused by the "
                             "outbound policy), skipped (the webhook's circuit breaker is open)", prom::MetricType::Counter);
    Sample(deliveries, {{"outcome", "delivered"}}, static_cast<double>(d.delivered));
    Sample(deliveries, {{"outcome", "failed"}}, static_cast<double>(d.failed));
    Sample(deliveries, {{"outcome", "skipped"}}, static_cast<double>(d.skipped));
    auto queued = Pulled("keel_webhook_queue_depth", "Webhook deliveries waiting in the outbox for a delivery thread",
                         prom::MetricType::Gauge);
    Sample(queued, {}, static_cast<double>(d.queued));
    out.push_back(std::move(deliveries));
    out.push_back(std::move(queued));
  }
  if (sources.streams) {
    auto open = Pulled("keel_sse_streams_open", "Live streams (server-sent events) open on this node", prom::MetricType::Gauge);
    Sample(open, {}, static_cast<double>(sources.streams->open_streams()));
    out.push_back(std::move(open));
  }
}

Response Telemetry::Impl::Scrape(const Request& req) const {
  Status st;
  if (req.method != "GET") {
    st = Status::Error(ErrorKind::kInvalid, "http.method_not_allowed", req.method + " is not allowed on /metrics",
                       "/metrics 不支持 " + req.method + " 方法");
  } else if (!options.token.empty()) {
    const std::string& auth = req.authorization;
    if (auth.rfind("Bearer ", 0) != 0) {
      st = Status::Error(ErrorKind::kUnauthenticated, "auth.missing_token", "send 'Authorization: Bearer <metrics-token>'",
                         "请携带 'Authorization: Bearer <metrics-token>'");
    } else if (!ConstantTimeEqual(Sha256Hex(std::string_view(auth).substr(7)), Sha256Hex(options.token))) {
      // Compared as hashes: neither the token's bytes nor its length show in the time taken.
      st = Status::Error(ErrorKind::kUnauthenticated, "auth.unauthenticated", "the metrics token is not valid",
                         "监控令牌无效");
    }
  }
  Response res;
  if (!st.ok()) {
    res = ErrorResponse(st, req.request_id);
    if (st.code() == "http.method_not_allowed") res.status = 405;
  } else {
    res.status = 200;
    res.content_type = kContentType;
    res.body = Render();
  }
  res.headers.emplace_back("X-Request-Id", req.request_id);
  spdlog::info("access method={} path=/metrics status={} request_id={} ip={}", MethodLabel(req.method), res.status,
               req.request_id, req.remote_ip);
  return res;
}

Telemetry::Telemetry(TelemetryOptions options, TelemetrySources sources) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->sources = sources;
  prom::Labels build = {{"version", impl_->options.version}};
  if (sources.cluster) {
    build["role"] = sources.cluster->node().role;
    build["backend"] = sources.cluster->node().backend;
  }
  impl_->build.Add(build).Set(1);
}

Telemetry::~Telemetry() = default;

void Telemetry::ObserveRequest(std::string_view method, std::string_view route, int status, double seconds) {
  const std::string m = MethodLabel(method);
  const std::string r = route.empty() ? "unmatched" : std::string(route);
  const std::string c = StatusClass(status);
  prom::Counter* counter = nullptr;
  prom::Histogram* histogram = nullptr;
  {
    std::lock_guard lock(impl_->mu);
    std::string key = m + ' ' + r;
    auto h = impl_->histograms.find(key);
    if (h == impl_->histograms.end()) {
      h = impl_->histograms.emplace(key, &impl_->latency.Add({{"method", m}, {"route", r}}, impl_->buckets)).first;
    }
    histogram = h->second;
    key += ' ' + c;
    auto it = impl_->counters.find(key);
    if (it == impl_->counters.end()) {
      it = impl_->counters.emplace(key, &impl_->requests.Add({{"method", m}, {"route", r}, {"status_class", c}})).first;
    }
    counter = it->second;
  }
  counter->Increment();
  histogram->Observe(seconds);
}

std::optional<Response> Telemetry::Serve(const Request& req) const {
  if (req.path != kPath) return std::nullopt;
  if (impl_->options.token.empty()) {
    // Exactly what the API answers for a path it does not know: nothing shows the endpoint exists.
    Response res = ErrorResponse(
        Status::Error(ErrorKind::kNotFound, "http.not_found", "no route " + req.path, "不存在的接口 " + req.path), req.request_id);
    res.headers.emplace_back("X-Request-Id", req.request_id);
    return res;
  }
  return impl_->Scrape(req);
}

Response Telemetry::ServeListener(const Request& req) const {
  if (req.path != kPath) {
    Response res = ErrorResponse(Status::Error(ErrorKind::kNotFound, "http.not_found",
                                               "no route " + req.path.substr(0, 256) + " (this listener serves /metrics only)",
                                               "不存在的接口 " + req.path.substr(0, 256) + "（此端口只提供 /metrics）"),
                                 req.request_id);
    res.headers.emplace_back("X-Request-Id", req.request_id);
    return res;
  }
  return impl_->Scrape(req);
}

std::string Telemetry::Render() const { return impl_->Render(); }

}  // namespace keel::http
