// Internals of the metric engine shared by its translation units: rollup cells, the master
// data the engine enriches facts with, and a tenant's state. Not part of the public surface.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/mutex.h"
#include "common/tz.h"
#include "events/consumer.h"
#include "events/event_log.h"
#include "formula/formula.h"
#include "metrics/definition.h"
#include "metrics/engine.h"
#include "store/database.h"
#include <thread>
#include <functional>

namespace keel::metrics {

// One aggregate: enough to answer count, sum, avg, min, max and count_distinct, and to merge.
struct Cell {
  int64_t n = 0;
  double sum = 0;
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  std::unique_ptr<std::unordered_set<int64_t>> distinct;

  // `weight` -1 retracts a fact an update replaced (count and sum only).
  void Add(double v, int weight = 1) {
    n += weight;
    sum += weight * v;
    if (weight < 0) return;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  void AddDistinct(int64_t key) {
    ++n;
    if (!distinct) distinct = std::make_unique<std::unordered_set<int64_t>>();
    distinct->insert(key);
  }
  void Merge(const Cell& o) {
    n += o.n;
    sum += o.sum;
    if (o.lo < lo) lo = o.lo;
    if (o.hi > hi) hi = o.hi;
    if (o.distinct) {
      if (!distinct) distinct = std::make_unique<std::unordered_set<int64_t>>();
      distinct->insert(o.distinct->begin(), o.distinct->end());
    }
  }
  // The value of an aggregate; nullopt when there is none (avg/min/max of nothing).
  std::optional<double> Result(Agg agg) const {
    switch (agg) {
      case Agg::kCount: return static_cast<double>(n);
      case Agg::kCountDistinct: return distinct ? static_cast<double>(distinct->size()) : 0.0;
      case Agg::kSum: return sum;
      case Agg::kAvg: return n ? std::optional<double>(sum / static_cast<double>(n)) : std::nullopt;
      case Agg::kMin: return n ? std::optional<double>(lo) : std::nullopt;
      case Agg::kMax: return n ? std::optional<double>(hi) : std::nullopt;
    }
    return std::nullopt;
  }
};

// Dimension values of a cell, in the order of MetricDef::dimensions: ids for id dimensions,
// interned text ids for text dimensions, 0 for blank.
using DimKey = std::array<int64_t, kMaxDims>;
struct DimKeyHash {
  size_t operator()(const DimKey& k) const {
    uint64_t h = 1469598103934665603ULL;
    for (int64_t v : k) h = (h ^ static_cast<uint64_t>(v)) * 1099511628211ULL;
    return static_cast<size_t>(h ^ (h >> 29));
  }
};

struct Bucket {
  std::unordered_map<DimKey, Cell, DimKeyHash> cells;
  Cell total;
};

// The stored grains; week and longer are answered from days.
constexpr int kStoredGrains = 3;  // 0 minute, 1 hour, 2 day
inline Grain StoredGrain(int g) { return static_cast<Grain>(g); }

struct Metric {
  MetricDef def;
  const SourceInfo* source = nullptr;  // simple metrics
  std::optional<formula::Formula> filter, value;
  std::vector<int> dim_fields;        // source field index of each dimension
  std::vector<bool> dim_is_text;
  int64_t applied_seq = 0;            // every event up to here is in the buckets
  int64_t persisted_seq = -1;         // what metric_state says
  std::map<TimeMs, Bucket> buckets[kStoredGrains];
  std::set<std::pair<int, TimeMs>> dirty;
  // The bucket of each grain the last fact went to (already in `dirty`): consecutive facts
  // mostly share it. Forgotten whenever buckets are erased or `dirty` is cleared.
  Bucket* hot[kStoredGrains] = {};
  TimeMs hot_at[kStoredGrains] = {};
  void ForgetHot() {
    for (auto*& h : hot) h = nullptr;
  }
};

struct UnitInfo {
  int64_t parent = 0;
  std::string kind, path, name;
};
struct UserInfo {
  std::string name;
  int64_t unit = 0, supervisor = 0;
};
struct ProductInfo {
  int64_t category = 0, category_path = 0, sku = 0;  // interned
  double cost = 0;
};
struct LeadInfo {
  TimeMs created = 0;
  int64_t source = 0, channel = 0, owner = 0, unit = 0;  // interned text / ids
};

// Master data the engine enriches facts with, kept current from the same event stream.
struct Master {
  std::unordered_map<int64_t, UnitInfo> units;
  std::unordered_map<int64_t, UserInfo> users;
  std::unordered_map<int64_t, std::string> stores;
  std::unordered_map<int64_t, ProductInfo> products;
  std::unordered_map<int64_t, int64_t> customer_segment;  // interned
  std::unordered_map<int64_t, LeadInfo> leads;
  // Interned text (dimension values, categories): id 0 is blank.
  std::unordered_map<std::string, int64_t> text_ids;
  std::deque<std::string> texts{""};  // a deque: views into it stay valid

  int64_t Intern(std::string_view s) {
    if (s.empty()) return 0;
    auto it = text_ids.find(std::string(s));
    if (it != text_ids.end()) return it->second;
    int64_t id = static_cast<int64_t>(texts.size());
    texts.emplace_back(s);
    text_ids.emplace(std::string(s), id);
    return id;
  }
  int64_t Find(const std::string& s) const {
    auto it = text_ids.find(s);
    return it == text_ids.end() ? -1 : it->second;
  }
  // The ancestor-or-self of `unit` of `kind` ("region", "unit"); 0 when none.
  int64_t AncestorOfKind(int64_t unit, const std::string& kind) const;
};

struct Tenant {
  int64_t id = 0;
  std::shared_ptr<const TimeZone> tz;
  // Guards everything below against concurrent queries; only the worker writes.
  mutable std::shared_mutex mu;
  std::map<std::string, std::unique_ptr<Metric>> metrics;
  std::map<std::string, SourceInfo> custom_sources;
  Master master;
  int64_t read_seq = 0;          // events read up to here
  TimeMs last_flush = 0;
  bool reload = true;            // definitions changed: reload them on the worker
};

// Extraction of facts from events (master.cc).
struct FactBuffer {
  std::vector<std::vector<formula::Value>> records;  // one per fact (an order gives one per line)
  std::vector<TimeMs> times;
};
// Fills `out` with the facts `source` sees in `payload`; texts point into `payload`/master.
// `payload` is the event's JSON as appended to the log (free-form, shaped by its event type).
void ExtractFacts(const SourceInfo& source, const events::Event& ev, const nlohmann::json& payload,
                  Master& master, FactBuffer& out);
// Keeps master data current from entity events.
void UpdateMaster(const events::Event& ev, const nlohmann::json& payload, Master& master);
Status LoadMaster(store::Connection& conn, int64_t tenant_id, Master& master);
// Whether a source reads an event type: its own ("order.created"), or the matching update
// ("order.updated"), which replaces the old facts by the new ones.
bool SourceReads(const SourceInfo& s, const std::string& event_type);
bool IsUpdateOf(const SourceInfo& s, const std::string& event_type);

// Value of a dimension of a fact as stored in a cell.
int64_t DimValue(const formula::Value& v, bool is_text, Master& master);

// Lookup over a tenant's current definitions plus the ones being parsed.
struct TenantLookup : DefinitionLookup {
  const Tenant& t;
  std::map<std::string, MetricDef> extra;
  explicit TenantLookup(const Tenant& tenant) : t(tenant) {}
  const MetricDef* FindMetric(const std::string& name) const override {
    if (auto it = extra.find(name); it != extra.end()) return &it->second;
    auto it = t.metrics.find(name);
    return it == t.metrics.end() ? nullptr : &it->second->def;
  }
  const SourceInfo* FindSource(const std::string& name) const override {
    for (const auto& s : BuiltinSources()) {
      if (s.name == name) return &s;
    }
    auto it = t.custom_sources.find(name);
    return it == t.custom_sources.end() ? nullptr : &it->second;
  }
};


struct MetricEngine::Impl : events::ConsumerHandler {
  store::Database& db;
  const Clock& clock;
  EngineOptions opt;

  Mutex mu;
  CondVar applied_cv;  // a tenant's rollups moved (WaitApplied)
  std::map<int64_t, std::shared_ptr<Tenant>> tenants GUARDED_BY(mu);
  Mutex step_mu;  // one writer of a tenant's rollups at a time (the consumer, definition changes)
  std::mutex load_mu;
  std::map<int, Listener> listeners GUARDED_BY(mu);
  std::map<int, std::pair<std::string, EventListener>> event_listeners GUARDED_BY(mu);
  int next_listener GUARDED_BY(mu) = 1;
  std::atomic<int64_t> events_applied{0}, cell_updates{0}, flushes{0};

  Impl(store::Database& d, const Clock& c, EngineOptions o) : db(d), clock(c), opt(o) {}

  Result<std::shared_ptr<Tenant>> GetTenant(int64_t id);
  Status LoadDefinitions(Tenant& t, store::Connection& conn);
  // LoadDefinitions in a read transaction: one consistent snapshot of the stored rollups.
  Status LoadStored(Tenant& t, store::Connection& conn);
  Status InstallPack(store::Connection& conn, int64_t tenant_id);
  // events::ConsumerHandler. The engine keeps its own position: every simple metric has the
  // sequence number its rollups (persisted with them) have applied; reading resumes at the
  // lowest of them, and each event is applied only to metrics that have not seen it.
  Result<int64_t> Position(int64_t tenant) override;
  Status Process(int64_t tenant, std::span<const events::Event> evs) override;
  Status AfterTenant(int64_t tenant) override;  // flushes (throttled) and wakes WaitApplied
  Status Apply(Tenant& t, std::span<const events::Event> evs, std::vector<std::string>* changed) REQUIRES(step_mu);
  Status Flush(Tenant& t, bool force) REQUIRES(step_mu);
  void Apply(Tenant& t, Metric& m, const std::vector<formula::Value>& rec, TimeMs at, formula::Arena& arena, TimeMs now,
             int weight = 1);
  void Publish(int64_t tenant, const std::vector<std::string>& changed, int64_t seq);
  // Hands the events after `after` to the event listeners whose prefix they match.
  void PublishEvents(int64_t tenant, std::span<const events::Event> evs, int64_t after);

  // Last: stopped (its thread joined) before anything above is destroyed.
  events::Consumer consumer{db, *this, clock,
                            {.name = "metrics", .batch = static_cast<int>(opt.read_batch), .max_rounds = 20, .wake_ms = opt.poll_ms,
                             .own_position = true, .poll_known_tenants = true, .every_node = true}};
};


}  // namespace keel::metrics
