// Live streams (实时推送): Server-Sent Events for dashboards. A client subscribes to metrics (with
// dimensions, grain and range, as in the query API) and/or alerts; it gets the current values at
// once, then an update whenever the metric engine applies events that change them (at most
// every `min_interval_ms` per stream), and every alert that fires, changes or resolves — only
// within the caller's scope. Resumable: with Last-Event-ID (an event-log sequence number) the
// alert events after it are replayed before the current values. Computation happens on one hub
// thread; the connections only write (no thread per connection).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/time.h"
#include "domain/model.h"
#include "http/router.h"

namespace keel::metrics {
class MetricEngine;
}
namespace keel::alerts {
class AlertEngine;
}
namespace keel::store {
class Database;
}

namespace keel::http {

struct StreamOptions {
  int64_t min_interval_ms = 100;
  size_t max_streams = 20000;      // on this server
  size_t max_per_tenant = 5000;
  size_t max_per_user = 8;         // a person's tabs and devices
  // How often every stream's credential is checked again (logout, a disabled user, a changed role
  // or unit end the stream); RevalidateNow() checks at once.
  int64_t revalidate_ms = 2000;
};

// Re-reads a bearer token: the principal it stands for now, or an error once it no longer works.
using Authenticator = std::function<Result<domain::Principal>(const std::string& token)>;

class StreamHub {
 public:
  // The engines and the database must outlive the hub. `alerts` may be null.
  StreamHub(store::Database& db, metrics::MetricEngine& metrics, alerts::AlertEngine* alerts, const Clock& clock,
            StreamOptions options = {});
  ~StreamHub();
  StreamHub(const StreamHub&) = delete;
  StreamHub& operator=(const StreamHub&) = delete;

  // Opens a stream for `p`: query parameters as GET /api/v1/metrics/query plus alerts=true
  // (metrics may be omitted when alerts=true). Validation errors come back at once as 4xx.
  // `token` is the caller's bearer credential: the stream lives only as long as it stays valid
  // and stands for the same person, role and unit (checked every revalidate_ms, and at once after
  // RevalidateNow). 429 stream.too_many when the caller or the tenant has too many streams open.
  Result<std::shared_ptr<EventStream>> Open(const domain::Principal& p, const QueryParams& params,
                                            const std::string& last_event_id, const std::string& token = {});
  size_t open_streams() const;
  // Set once before serving; without it streams are not re-checked.
  void SetAuthenticator(Authenticator authenticate);
  // A session ended or a user changed: check every stream's credential now (asynchronously).
  void RevalidateNow();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::http
