// The metric engine (指标引擎): keeps every tenant's metrics up to date from the event log and
// answers queries from memory. One worker thread tails each tenant's log after every commit
// (Notify) and at least every poll interval, applies each event once to the in-memory rollups
// (minute, hour and day buckets in the tenant's time zone, per dimension tuple), and persists
// the changed buckets together with the last applied sequence number in one transaction, so a
// restart loads the rollups and replays only the tail of the log. A new or changed definition
// starts at sequence 0 and is backfilled from the log by the same worker, with progress.
// Queries take a shared lock per tenant; only the worker changes rollups.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "common/tz.h"
#include "events/event_log.h"
#include "domain/model.h"
#include "metrics/definition.h"
#include "store/database.h"

namespace keel::metrics {

struct EngineOptions {
  int64_t poll_ms = 500;          // tail the log at least this often (other writers, other nodes)
  int64_t flush_ms = 1000;        // persist changed buckets at most this often
  int64_t read_batch = 5000;      // events read per step
  int64_t minute_retention_ms = 2LL * 86400000;   // minute buckets kept for the last 2 days
  int64_t hour_retention_ms = 63LL * 86400000;    // hour buckets for 9 weeks (seasonal baselines)
  bool install_builtin_pack = true;
  // A query's groups without `top` (rep × store …): more is 422 metrics.too_many_groups.
  size_t max_groups = 2000;
};

// A question to the engine (the command of Query). Times are UTC, [from, to).
struct MetricQuery {
  std::vector<std::string> metrics;
  std::vector<std::string> group_by;  // up to 2 dimensions (unit, region, rep, store, …)
  std::optional<Grain> grain;         // points per bucket; none = one value per group
  TimeMs from = 0, to = 0;
  std::vector<std::pair<std::string, std::string>> filters;  // dimension = value; unit/region: subtree
  int top = 0;                        // keep the top N groups by the first metric
  bool compare_previous = false;      // the same length of time just before
  bool compare_last_year = false;     // the same calendar period a year before
  bool targets = false;               // target and completion (month/quarter/year ranges)
};

// The answer to a MetricQuery (the view src/http serves, metrics/query_json.h). Figures are
// rounded to 4 decimals; none is "no data" (a count or sum of nothing is 0). Times are local
// with the tenant's offset ("2026-11-01T00:00:00+08:00").
struct QueryColumn {  // a metric asked for
  std::string name;
  std::string label;  // in the reader's language
  std::string label_zh, label_en, unit;
  int version = 1;
};
struct GroupLabel {  // one dimension of a group: its value as text and its display name
  std::string dimension, value, name;
};
struct QueryPoint {  // a bucket with grain
  std::string t;     // the bucket's start
  std::optional<double> value;
};
struct ComparedFigure {  // the same figure over a comparison period
  std::optional<double> value;
  std::optional<double> change_pct;  // (value now − then) / |then| × 100; none when then is 0 or blank
};
struct TargetFigure {
  std::optional<double> target;
  std::optional<double> completion;  // value / target
};
struct MetricFigures {  // one metric's figures for one group
  std::string metric;
  std::optional<double> value;
  std::optional<ComparedFigure> previous;         // compare_previous
  std::optional<ComparedFigure> last_year;        // compare_last_year
  std::optional<std::vector<QueryPoint>> points;  // with grain
  std::optional<TargetFigure> target;             // targets, for a metric that has one
};
struct QueryGroup {
  std::vector<GroupLabel> labels;      // one per group_by dimension, in its order; empty without
  std::vector<MetricFigures> figures;  // one per metric asked for, in the query's order
};
struct QueryResult {
  std::string from, to;  // the range as answered (floored to the minute)
  std::string time_zone;
  std::optional<Grain> grain;
  std::vector<std::string> group_by;
  std::vector<QueryColumn> metrics;
  std::vector<QueryGroup> groups;  // by the first metric, highest first; at most `top`
};

// How far a simple metric's rollups are behind the tenant's event log.
struct Backfill {
  int64_t applied_seq = 0, head_seq = 0;
  bool done = false;
  double progress = 1.0;  // 0 … 1
};

// A stored version of a definition.
struct DefinitionVersion {
  int64_t version = 0;
  std::string status;  // active | superseded | archived
  int64_t owner_id = 0;
  std::string created_at;
};

// A definition as the engine holds it.
struct DefinitionView {
  MetricDef def;
  std::vector<std::string> queryable_dimensions;
  std::optional<Backfill> backfill;         // simple metrics only
  std::vector<DefinitionVersion> versions;  // GetDefinition only, oldest first
};

class MetricEngine {
 public:
  // Called on the worker thread after events were applied: which metrics changed, up to which
  // sequence. Must be quick and must not call back into the engine's write paths.
  using Listener = std::function<void(int64_t tenant_id, const std::vector<std::string>& changed, int64_t seq)>;

  // `db` and `clock` must outlive the engine.
  MetricEngine(store::Database& db, const Clock& clock, EngineOptions options = {});
  ~MetricEngine();  // Stop()
  MetricEngine(const MetricEngine&) = delete;
  MetricEngine& operator=(const MetricEngine&) = delete;

  // Starts the worker (idempotent). Tenants load lazily on first use or first event.
  void Start();
  // Applies what is pending, persists, and stops the worker. Idempotent.
  void Stop();
  // A commit for `tenant_id` happened; wakes the worker. Thread-safe, never blocks.
  void Notify(int64_t tenant_id);
  // Runs the worker's step synchronously until the tenant has applied every committed event
  // (tests, CLI); persists when `flush`. Not to be called on the worker thread.
  Status CatchUp(int64_t tenant_id, bool flush = true);
  // Blocks until the tenant applied `seq` (or timeout); true when it did.
  bool WaitApplied(int64_t tenant_id, int64_t seq, int64_t timeout_ms);

  int AddListener(Listener l);
  void RemoveListener(int id);

  // The log as this node folds it — every node folds every event of its tenants, so this is how
  // state each node keeps for itself follows changes made on any node: definitions (alert
  // rules, tenant settings) and live streams (alert events). Called on the worker thread for each
  // event newer than any seen before whose type starts with `type_prefix`, in log order, before
  // the metric listeners hear of the batch. Must be quick; must not call back into the engine's
  // write paths.
  using EventListener = std::function<void(int64_t tenant_id, const events::Event& event)>;
  int AddEventListener(std::string type_prefix, EventListener l);
  void RemoveEventListener(int id);

  // Definitions — any role may read; admin and hq_ops write.
  Result<std::vector<DefinitionView>> ListDefinitions(const domain::Principal& p);
  Result<DefinitionView> GetDefinition(const domain::Principal& p, const std::string& name);
  // Creates (name new) or replaces (a new version) a definition and returns it as saved; the
  // metric is backfilled from the log (it starts at sequence 0). `replace_name` is the name in
  // the URL for PUT (must match the body's). Takes the definition document the user writes
  // (JSON or YAML read as JSON, docs/metrics.md): errors point into it ("filter@12"). The
  // document stays JSON here: it is what the user writes and is stored as written.
  Result<MetricDef> SaveDefinition(const domain::Principal& p, const nlohmann::json& definition, const std::string& replace_name = {});
  Status ArchiveDefinition(const domain::Principal& p, const std::string& name);
  // Validates a definition document without saving it (the editor's live check).
  Status CheckDefinition(const domain::Principal& p, const nlohmann::json& definition);
  // The fact sources metrics can count: the built-in ones, then the tenant's custom event types.
  Result<std::vector<SourceInfo>> Sources(const domain::Principal& p);

  // Answers within the caller's visible scope. Errors are 400/403/404 with the field; more
  // groups than EngineOptions::max_groups without `top` is 422 metrics.too_many_groups.
  Result<QueryResult> Query(const domain::Principal& p, const MetricQuery& q);
  // The value of one metric over [from, to) for a group given as dimension filters — the alert
  // engine's series access. Blank (nullopt) when there is no data.
  Result<std::optional<double>> ValueOf(int64_t tenant_id, const std::string& metric, TimeMs from, TimeMs to,
                                      const std::vector<std::pair<std::string, std::string>>& filters);
  // Groups (dimension values, as text) of a metric seen in [from, to), for the alert engine.
  Result<std::vector<std::vector<std::pair<std::string, std::string>>>> Groups(
      int64_t tenant_id, const std::string& metric, const std::vector<std::string>& group_by, TimeMs from, TimeMs to);
  // The target of `target_metric` for the group over whole periods inside [from, to); nullopt
  // when there is none.
  Result<std::optional<double>> Target(int64_t tenant_id, const std::string& target_metric, TimeMs from, TimeMs to,
                                       const std::vector<std::pair<std::string, std::string>>& filters);
  Result<std::shared_ptr<const TimeZone>> ZoneOf(int64_t tenant_id);
  // Names a dimension value for people ("1015" → "上海战队").
  std::string DisplayName(int64_t tenant_id, const std::string& dim, const std::string& value);
  bool HasMetric(int64_t tenant_id, const std::string& name);
  // The dimensions a metric can be grouped by (empty when there is no such metric).
  std::vector<std::string> Dimensions(int64_t tenant_id, const std::string& name);
  const MetricDef* FindForValidation(int64_t tenant_id, const std::string& name);  // until next reload

  // Counters for /health and benchmarks.
  struct Stats {
    int64_t events_applied = 0, cell_updates = 0, flushes = 0, cells = 0;
  };
  Stats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::metrics
