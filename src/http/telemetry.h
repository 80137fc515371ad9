// Operational metrics (运行指标) in the Prometheus text format at GET /metrics — the one path
// outside /api/v1 (Prometheus looks there by convention; it is not in the OpenAPI document). For
// operators, never public: the API's listener answers it only to "Authorization: Bearer
// <metrics-token>" (compared in constant time) and with 404 http.not_found when no token is
// configured, so nothing shows that it exists; a separate listener (metrics-listen, e.g.
// 127.0.0.1:9464) serves it to whoever can reach that address.
//
// Series (docs/deploy.md, "Monitoring"): API requests by method, route pattern and status class,
// and their latency by method and route pattern (counted here, as they are answered); the rest
// is read when scraped — each consumer's counters and lag summed over tenants, this node's lease
// changes and leases held, webhook deliveries by outcome and the outbox's depth, open live
// streams — and the build. Labels take bounded values only: route patterns (never a raw path),
// consumer names, outcomes; no tenant, user or record ever becomes a label.
//
// The Prometheus client library is used in telemetry.cc only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/router.h"

namespace keel::events {
class ClusterView;
}
namespace keel::alerts {
class AlertEngine;
}

namespace keel::http {

class StreamHub;

struct TelemetryOptions {
  // metrics-token: a scrape on the API's listener must send it as a bearer token. Empty: the
  // API's listener answers /metrics 404 (a metrics listener may still serve it).
  std::string token;
  std::string version;  // keel_build_info's version label
};

// What is read at each scrape. Each may be null (its series are left out); those given must
// outlive the Telemetry.
struct TelemetrySources {
  const events::ClusterView* cluster = nullptr;  // the node, consumers, lag, leases
  const alerts::AlertEngine* alerts = nullptr;   // webhook deliveries
  const StreamHub* streams = nullptr;            // open live streams
};

// Thread-safe.
class Telemetry {
 public:
  Telemetry(TelemetryOptions options, TelemetrySources sources);
  ~Telemetry();
  Telemetry(const Telemetry&) = delete;
  Telemetry& operator=(const Telemetry&) = delete;

  // Counts an answered API request: `route` is the matched route's pattern
  // ("/api/v1/customers/{id}"), empty when no route matched (labelled "unmatched").
  void ObserveRequest(std::string_view method, std::string_view route, int status, double seconds);
  // On the API's listener: the reply to a request for /metrics (404 http.not_found without a
  // configured token, 401 auth.missing_token or auth.unauthenticated without the right one, 405
  // for a method other than GET); nullopt for any other path.
  std::optional<Response> Serve(const Request& req) const;
  // On the metrics listener: /metrics to whoever reaches it (the token is still asked for when
  // one is configured); 404 for every other path.
  Response ServeListener(const Request& req) const;
  // The exposition, text format 0.0.4. A source that fails is logged and its series left out.
  std::string Render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::http
