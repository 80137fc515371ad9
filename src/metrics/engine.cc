// The worker: loading tenants, applying events to rollups, persisting them, and definitions.
#include "metrics/engine.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/yaml.h"
#include "domain/audit.h"
#include "domain/versions.h"
#include "events/lease.h"
#include "metrics/internal.h"
#include "metrics/store.h"

namespace keel::metrics {
namespace {

const domain::VersionedKind kMetricKind{"metric_defs", "metric.exists", "metric", "指标"};

using json = nlohmann::json;
using store::Value;

constexpr char kSep = '\x1f';
// The lease whose holder stores a tenant's rollups when several nodes share the database.
constexpr std::string_view kFlushLease = "metrics.flush";

std::string EncodeDims(const Metric& m, const DimKey& k, const Master& master) {
  std::string out;
  for (size_t i = 0; i < m.def.dimensions.size(); ++i) {
    if (i) out += kSep;
    if (m.dim_is_text[i]) {
      out += "s:";
      out += master.texts[static_cast<size_t>(k[i])];
    } else {
      out += std::to_string(k[i]);
    }
  }
  return out;
}

DimKey DecodeDims(const Metric& m, std::string_view s, Master& master) {
  DimKey k{};
  size_t i = 0;
  while (i < m.def.dimensions.size()) {
    size_t end = s.find(kSep);
    std::string_view part = s.substr(0, end);
    if (m.dim_is_text[i]) {
      k[i] = part.size() >= 2 ? master.Intern(part.substr(2)) : 0;
    } else {
      std::from_chars(part.data(), part.data() + part.size(), k[i]);
    }
    ++i;
    if (end == std::string_view::npos) break;
    s.remove_prefix(end + 1);
  }
  return k;
}

std::string EncodeDistinct(const Cell& c) {
  if (!c.distinct) return {};
  std::vector<int64_t> v(c.distinct->begin(), c.distinct->end());
  std::sort(v.begin(), v.end());
  std::string out;
  for (int64_t x : v) {
    if (!out.empty()) out += ',';
    out += std::to_string(x);
  }
  return out;
}

bool CanWrite(domain::Role r) { return r == domain::Role::kAdmin || r == domain::Role::kHqOps; }

Status Forbidden() {
  return Status::Error(ErrorKind::kForbidden, "auth.forbidden", "only admin and hq_ops may change metric definitions",
                       "只有管理员和销售运营可以修改指标定义");
}

SourceInfo CustomSource(const std::string& name, const json& def) {
  SourceInfo s;
  s.name = name;
  s.event_type = "custom." + name;
  s.zh = def.value("label_zh", name);
  s.en = def.value("label_en", name);
  s.custom = true;
  for (const auto& f : def.value("fields", json::array())) {
    std::string fname = f.value("name", "");
    std::string type = f.value("type", "text");
    formula::Type t = type == "number" ? formula::Type::kNumber : type == "bool" ? formula::Type::kBool
                      : type == "datetime" ? formula::Type::kDateTime : type == "date" ? formula::Type::kDate
                                            : formula::Type::kText;
    s.fields.push_back({fname, t, f.value("label", fname), f.value("label", fname)});
    if (t == formula::Type::kText) s.dimensions.push_back(fname);
  }
  for (const char* k : {"owner_id", "unit_id", "customer_id"}) s.fields.push_back({k, formula::Type::kNumber, k, k});
  s.fields.push_back({"customer_segment", formula::Type::kText, "客户分层", "customer segment"});
  s.fields.push_back({"at", formula::Type::kDateTime, "发生时间", "when it happened"});
  for (const char* d : {"rep", "unit", "customer", "customer_segment"}) s.dimensions.push_back(d);
  return s;
}

// The source field a dimension reads.
std::string FieldOfDimension(const std::string& dim) {
  if (dim == "rep") return "owner_id";
  if (dim == "unit") return "unit_id";
  if (dim == "store") return "store_id";
  if (dim == "customer") return "customer_id";
  if (dim == "product") return "product_id";
  if (dim == "product_category") return "category";
  return dim;
}

}  // namespace

Result<std::shared_ptr<Tenant>> MetricEngine::Impl::GetTenant(int64_t id) {
  {
    MutexLock lock(mu);
    if (auto it = tenants.find(id); it != tenants.end()) return it->second;
  }
  std::lock_guard load(load_mu);
  {
    MutexLock lock(mu);
    if (auto it = tenants.find(id); it != tenants.end()) return it->second;
  }
  auto t = std::make_shared<Tenant>();
  t->id = id;
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<std::string> zone, repo::TenantTimeZone(*conn, id));
  if (!zone) return Status::NotFound("tenant");
  auto tz = TimeZone::Load(*zone);
  if (!tz.ok()) tz = TimeZone::Load("Asia/Shanghai");
  KEEL_RETURN_IF_ERROR(tz.status());
  t->tz = *tz;
  if (opt.install_builtin_pack) KEEL_RETURN_IF_ERROR(InstallPack(*conn, id));
  KEEL_ASSIGN_OR_RETURN(t->read_seq, events::LastSeq(*conn, id));
  KEEL_RETURN_IF_ERROR(LoadMaster(*conn, id, t->master));
  KEEL_RETURN_IF_ERROR(LoadStored(*t, *conn));
  {
    MutexLock lock(mu);
    tenants[id] = t;
  }
  consumer.Notify(id);
  return t;
}

Status MetricEngine::Impl::InstallPack(store::Connection& conn, int64_t tenant_id) {
  KEEL_ASSIGN_OR_RETURN(int64_t n, repo::CountDefinitions(conn, tenant_id));
  if (n > 0) return Status();
  KEEL_ASSIGN_OR_RETURN(std::vector<json> docs, JsonDocumentsFromYaml(BuiltinPackYaml()));
  Tenant scratch;
  TenantLookup lookup(scratch);
  std::string now = FormatTimestamp(clock.NowMs());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
  for (json& d : docs) {
    d["builtin"] = true;
    KEEL_ASSIGN_OR_RETURN(MetricDef def, ParseDefinition(d, lookup));
    lookup.extra[def.name] = def;
    KEEL_RETURN_IF_ERROR(repo::InsertBuiltinDefinition(conn, tenant_id, def.name, def.ToJson().dump(), now));
  }
  return tx.Commit();
}

Status MetricEngine::Impl::LoadStored(Tenant& t, store::Connection& conn) {
  // One snapshot: each metric's stored position and its cells come from the same flush, whatever
  // the node storing them commits meanwhile (else cells newer than their position would be
  // folded twice, or older ones miss events).
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn, /*write=*/false));
  KEEL_RETURN_IF_ERROR(LoadDefinitions(t, conn));
  return tx.Commit();
}

Status MetricEngine::Impl::LoadDefinitions(Tenant& t, store::Connection& conn) {
  std::map<std::string, SourceInfo> custom;
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::EventTypeRow> types, repo::ActiveEventTypes(conn, t.id));
  for (const auto& r : types) {
    json def = json::parse(r.definition, nullptr, false);
    if (!def.is_discarded()) custom[r.name] = CustomSource(r.name, def);
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::DefinitionRow> rows, repo::ActiveDefinitions(conn, t.id));
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::StateRow> states, repo::States(conn, t.id));
  std::map<std::string, std::pair<int64_t, int64_t>> state;
  for (const auto& r : states) state[r.name] = {r.version, r.applied_seq};

  // Parse in dependency order (inputs first); anything left unparsed is logged and skipped.
  Tenant scratch;
  scratch.custom_sources = custom;
  TenantLookup lookup(scratch);
  std::map<std::string, std::pair<int64_t, json>> unparsed;
  for (const auto& r : rows) {
    json d = json::parse(r.definition, nullptr, false);
    if (d.is_discarded()) continue;
    d["owner_id"] = r.owner_id;
    unparsed[r.name] = {r.version, d};
  }
  std::map<std::string, MetricDef> parsed;
  for (bool progress = true; progress && !unparsed.empty();) {
    progress = false;
    for (auto it = unparsed.begin(); it != unparsed.end();) {
      auto def = ParseDefinition(it->second.second, lookup);
      if (!def.ok()) {
        ++it;
        continue;
      }
      def->version = static_cast<int>(it->second.first);
      def->owner_id = it->second.second.value("owner_id", int64_t{0});
      lookup.extra[def->name] = *def;
      parsed[def->name] = *def;
      it = unparsed.erase(it);
      progress = true;
    }
  }
  for (const auto& [name, d] : unparsed) spdlog::warn("metric definition {} of tenant {} no longer validates; skipped", name, t.id);

  std::unique_lock lock(t.mu);
  // A metric kept as it is reads its custom source (an event type) by pointer into
  // t.custom_sources, which is replaced here: it is pointed at the new entry when the event
  // type's fields are unchanged, and built afresh otherwise (its formulas index those fields).
  std::map<std::string, bool> same_source;  // the old custom sources: fields unchanged?
  for (const auto& [source, info] : t.custom_sources) {
    auto now_info = custom.find(source);
    bool same = now_info != custom.end() && now_info->second.fields.size() == info.fields.size();
    for (size_t i = 0; same && i < info.fields.size(); ++i) {
      same = info.fields[i].name == now_info->second.fields[i].name && info.fields[i].type == now_info->second.fields[i].type;
    }
    same_source[source] = same;
  }
  t.custom_sources = std::move(custom);
  std::map<std::string, std::unique_ptr<Metric>> next;
  for (auto& [name, def] : parsed) {
    auto old = t.metrics.find(name);
    const auto custom_source = def.kind == Kind::kSimple ? same_source.find(def.source) : same_source.end();
    const bool source_kept = custom_source == same_source.end() || custom_source->second;
    if (old != t.metrics.end() && old->second->def.version == def.version && source_kept &&
        old->second->def.ToJson() == def.ToJson()) {
      if (custom_source != same_source.end()) old->second->source = &t.custom_sources.at(def.source);
      next[name] = std::move(old->second);
      continue;
    }
    auto m = std::make_unique<Metric>();
    m->def = def;
    if (def.kind == Kind::kSimple) {
      const SourceInfo* s = lookup.FindSource(def.source);
      for (const auto& b : BuiltinSources()) {
        if (b.name == def.source) s = &b;
      }
      if (s->custom) s = &t.custom_sources.at(def.source);
      m->source = s;
      std::vector<formula::FieldInfo> fields;
      for (const auto& f : s->fields) fields.push_back({f.name, f.type});
      if (!def.filter.empty()) m->filter.emplace(std::move(formula::Formula::Compile(def.filter, fields, formula::Type::kBool).value()));
      if (!def.value.empty()) m->value.emplace(std::move(formula::Formula::Compile(def.value, fields).value()));
      for (const auto& dim : def.dimensions) {
        std::string field = FieldOfDimension(dim);
        int idx = -1;
        for (size_t i = 0; i < s->fields.size(); ++i) {
          if (s->fields[i].name == field) idx = static_cast<int>(i);
        }
        for (size_t i = 0; idx < 0 && i < s->fields.size(); ++i) {
          if (s->fields[i].name == dim) idx = static_cast<int>(i);  // e.g. opportunity.product_category
        }
        m->dim_fields.push_back(idx);
        m->dim_is_text.push_back(idx >= 0 && s->fields[static_cast<size_t>(idx)].type != formula::Type::kNumber);
      }
      auto st = state.find(name);
      if (st != state.end() && st->second.first == def.version) {
        m->applied_seq = m->persisted_seq = st->second.second;
        KEEL_ASSIGN_OR_RETURN(std::vector<repo::CellRow> cells, repo::Cells(conn, t.id, name, def.version));
        for (const auto& r : cells) {
          int g = static_cast<int>(r.grain);
          if (g < 0 || g >= kStoredGrains) continue;
          Bucket& b = m->buckets[g][r.bucket];
          Cell& c = r.dims.empty() ? b.total : b.cells[DecodeDims(*m, r.dims, t.master)];
          c.n = r.n;
          c.sum = r.total;
          if (r.lo) c.lo = *r.lo;
          if (r.hi) c.hi = *r.hi;
          if (r.distinct_values && !r.distinct_values->empty()) {
            c.distinct = std::make_unique<std::unordered_set<int64_t>>();
            std::string_view dv = *r.distinct_values;
            while (!dv.empty()) {
              size_t comma = dv.find(',');
              int64_t x = 0;
              std::from_chars(dv.data(), dv.data() + (comma == std::string_view::npos ? dv.size() : comma), x);
              c.distinct->insert(x);
              if (comma == std::string_view::npos) break;
              dv.remove_prefix(comma + 1);
            }
          }
        }
      }
    }
    next[name] = std::move(m);
  }
  t.metrics = std::move(next);
  t.reload = false;
  return Status();
}

void MetricEngine::Impl::Apply(Tenant& t, Metric& m, const std::vector<formula::Value>& rec, TimeMs at,
                               formula::Arena& arena, TimeMs now, int weight) {
  // Distinct sets, minima and maxima cannot forget a value: an update only adds the new fact.
  if (weight < 0 && m.def.agg != Agg::kCount && m.def.agg != Agg::kSum && m.def.agg != Agg::kAvg) return;
  formula::EvalContext ctx;
  ctx.now_ms = now;
  ctx.tz_offset_minutes = static_cast<int>(t.tz->OffsetMs(now) / 60000);
  ctx.arena = &arena;
  if (m.filter) {
    arena.Reset();
    formula::Value f = m.filter->Eval(rec, ctx);
    if (f.type != formula::Type::kBool || !f.boolean) return;
  }
  double v = 1;
  int64_t distinct_key = 0;
  if (m.def.agg == Agg::kCountDistinct) {
    arena.Reset();
    formula::Value x = m.value->Eval(rec, ctx);
    if (x.is_blank() || x.is_error()) return;
    if (x.type == formula::Type::kNumber) {
      distinct_key = static_cast<int64_t>(x.number);
    } else {
      // Text is kept as a stable hash (negative, apart from ids), never a process-local id.
      std::string text = x.type == formula::Type::kText ? std::string(x.text) : x.ToString();
      uint64_t h = 1469598103934665603ULL;
      for (unsigned char ch : text) h = (h ^ ch) * 1099511628211ULL;
      distinct_key = -static_cast<int64_t>(h >> 2) - 1;
    }
  } else if (m.value) {
    arena.Reset();
    formula::Value x = m.value->Eval(rec, ctx);
    if (x.type != formula::Type::kNumber) return;
    v = x.number;
  }
  DimKey key{};
  for (size_t i = 0; i < m.dim_fields.size(); ++i) {
    if (m.dim_fields[i] >= 0) key[i] = DimValue(rec[static_cast<size_t>(m.dim_fields[i])], m.dim_is_text[i], t.master);
  }
  TimeMs local = t.tz->ToLocal(at);
  bool has_dims = !m.def.dimensions.empty();
  int64_t updates = 0;
  for (int g = 0; g < kStoredGrains; ++g) {
    if (g == 0 && at < now - opt.minute_retention_ms) continue;
    if (g == 1 && at < now - opt.hour_retention_ms) continue;
    TimeMs b = TimeZone::FloorLocal(local, StoredGrain(g));
    if (!m.hot[g] || m.hot_at[g] != b) {
      m.hot[g] = &m.buckets[g][b];
      m.hot_at[g] = b;
      m.dirty.insert({g, b});
    }
    Bucket& bucket = *m.hot[g];
    if (m.def.agg == Agg::kCountDistinct) {
      bucket.total.AddDistinct(distinct_key);
      if (has_dims) bucket.cells[key].AddDistinct(distinct_key);
    } else {
      bucket.total.Add(v, weight);
      if (has_dims) bucket.cells[key].Add(v, weight);
    }
    updates += has_dims ? 2 : 1;
  }
  cell_updates.fetch_add(updates, std::memory_order_relaxed);
}

Result<int64_t> MetricEngine::Impl::Position(int64_t tenant) {
  KEEL_ASSIGN_OR_RETURN(auto t, GetTenant(tenant));
  MutexLock step(step_mu);
  if (t->reload) {
    KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
    KEEL_RETURN_IF_ERROR(LoadStored(*t, *conn));
  }
  std::shared_lock lock(t->mu);
  int64_t from = t->read_seq;
  for (const auto& [name, m] : t->metrics) {
    if (m->def.kind == Kind::kSimple) from = std::min(from, m->applied_seq);
  }
  return from;
}

Status MetricEngine::Impl::Process(int64_t tenant, std::span<const events::Event> evs) {
  KEEL_ASSIGN_OR_RETURN(auto t, GetTenant(tenant));
  std::vector<std::string> changed;
  int64_t seen = 0;
  {
    MutexLock step(step_mu);
    seen = t->read_seq;
    KEEL_RETURN_IF_ERROR(Apply(*t, evs, &changed));
  }
  PublishEvents(tenant, evs, seen);
  if (!changed.empty()) Publish(tenant, changed, t->read_seq);
  return Status();
}

Status MetricEngine::Impl::AfterTenant(int64_t tenant) {
  KEEL_ASSIGN_OR_RETURN(auto t, GetTenant(tenant));
  Status st;
  {
    MutexLock step(step_mu);
    st = Flush(*t, false);
  }
  applied_cv.NotifyAll();
  return st;
}

Status MetricEngine::Impl::Apply(Tenant& t, std::span<const events::Event> evs, std::vector<std::string>* changed) {
  if (evs.empty()) return Status();
  TimeMs now = clock.NowMs();
  formula::Arena arena;
  FactBuffer facts;
  std::set<std::string> touched;
  std::vector<Metric*> interested;
  bool types_changed = false;
  std::unique_lock lock(t.mu);
  // Only metrics whose position this batch continues take it: a definition loaded after the
  // batch's position was taken (a new metric at 0) must not skip the events before the batch;
  // it is backfilled from its own position on the next read.
  const int64_t start = evs.front().seq - 1;
  auto takes = [start](const Metric& m) { return m.def.kind == Kind::kSimple && m.applied_seq >= start; };
  for (const events::Event& ev : evs) {
    interested.clear();
    for (auto& [name, m] : t.metrics) {
      if (takes(*m) && m->applied_seq < ev.seq && SourceReads(*m->source, ev.type)) {
        interested.push_back(m.get());
      }
    }
    // A definition changed (possibly on another node): sources and definitions reload.
    if ((ev.entity == "event_types" || ev.entity == "metric_defs") && ev.seq > t.read_seq) types_changed = true;
    bool master_event = ev.seq > t.read_seq &&
                        (ev.entity == "units" || ev.entity == "users" || ev.entity == "stores" ||
                         ev.entity == "products" || ev.entity == "customers" || ev.entity == "leads");
    if (interested.empty() && !master_event) continue;
    json payload = json::parse(ev.payload, nullptr, false);
    if (payload.is_discarded()) continue;
    if (master_event) UpdateMaster(ev, payload, t.master);
    const SourceInfo* extracted = nullptr;
    bool update = !interested.empty() && IsUpdateOf(*interested[0]->source, ev.type);
    json before = json::object(), after = json::object();
    if (update) {
      // An update replaces the record's facts: the old ones (the record with the changes
      // undone) are retracted, the new ones added.
      auto rec = payload.find("record");
      auto changes = payload.find("changes");
      if (rec == payload.end() || !rec->is_object() || changes == payload.end() || !changes->is_object() ||
          changes->empty()) {
        continue;
      }
      after = *rec;
      before = *rec;
      for (auto it = changes->begin(); it != changes->end(); ++it) {
        if (it->is_object() && it->contains("from")) before[it.key()] = (*it)["from"];
      }
    }
    FactBuffer old_facts;
    for (Metric* m : interested) {
      if (m->source != extracted) {
        ExtractFacts(*m->source, ev, update ? after : payload, t.master, facts);
        if (update) ExtractFacts(*m->source, ev, before, t.master, old_facts);
        extracted = m->source;
      }
      for (size_t i = 0; i < old_facts.records.size() && update; ++i) {
        Apply(t, *m, old_facts.records[i], old_facts.times[i], arena, now, -1);
      }
      for (size_t i = 0; i < facts.records.size(); ++i) Apply(t, *m, facts.records[i], facts.times[i], arena, now);
      touched.insert(m->def.name);
    }
    events_applied.fetch_add(1, std::memory_order_relaxed);
  }
  int64_t last = evs.back().seq;
  t.read_seq = std::max(t.read_seq, last);
  if (types_changed) t.reload = true;  // a custom event type changed: sources reload
  for (auto& [name, m] : t.metrics) {
    if (takes(*m) && m->applied_seq < last) m->applied_seq = last;
  }
  // Ratio, derived and cumulative metrics change with their inputs.
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [name, m] : t.metrics) {
      if (touched.count(name)) continue;
      const MetricDef& d = m->def;
      bool hit = (d.kind == Kind::kRatio && (touched.count(d.numerator) || touched.count(d.denominator))) ||
                 (d.kind == Kind::kCumulative && touched.count(d.input));
      for (const auto& in : d.inputs) hit = hit || touched.count(in);
      if (hit) {
        touched.insert(name);
        grew = true;
      }
    }
  }
  changed->assign(touched.begin(), touched.end());
  return Status();
}

Status MetricEngine::Impl::Flush(Tenant& t, bool force) {
  TimeMs now = clock.NowMs();
  if (!force && now - t.last_flush < opt.flush_ms) return Status();
  bool work = false;
  for (const auto& [name, m] : t.metrics) {
    if (m->def.kind == Kind::kSimple && (!m->dirty.empty() || m->persisted_seq != m->applied_seq)) work = true;
  }
  if (!work) {
    t.last_flush = now;
    return Status();
  }
  TimeMs minute_cut = TimeZone::FloorLocal(t.tz->ToLocal(now - opt.minute_retention_ms), Grain::kHour);
  TimeMs hour_cut = TimeZone::FloorLocal(t.tz->ToLocal(now - opt.hour_retention_ms), Grain::kDay);
  // Several nodes: every node folds the log into its own memory, but one — the holder of the
  // tenant's "metrics.flush" lease — stores the rollups, under its fencing token. The others keep
  // their changed buckets marked, so that when the lease comes to them (its holder died) they
  // store everything the stored rollups may miss; their memory is trimmed as the owner's is.
  std::optional<int64_t> token;
  events::Leases* leases = events::AttachedLeases(db);
  if (leases != nullptr) {
    KEEL_ASSIGN_OR_RETURN(token, leases->Hold(t.id, kFlushLease));
    if (!token) {
      for (auto& [name, m] : t.metrics) {
        if (m->def.kind != Kind::kSimple) continue;
        for (int g : {0, 1}) {
          auto& bm = m->buckets[g];
          TimeMs cut = g == 0 ? minute_cut : hour_cut;
          if (bm.empty() || bm.begin()->first >= cut) continue;
          bm.erase(bm.begin(), bm.lower_bound(cut));
          m->ForgetHot();
          std::erase_if(m->dirty, [&](const auto& gb) { return gb.first == g && gb.second < cut; });
        }
      }
      t.last_flush = now;
      return Status();
    }
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  if (token) KEEL_RETURN_IF_ERROR(leases->Fence(*conn, t.id, kFlushLease, *token));
  std::string now_text = FormatTimestamp(now);
  for (auto& [name, m] : t.metrics) {
    if (m->def.kind != Kind::kSimple) continue;
    if (m->persisted_seq < 0) {
      // First write of this version: drop cells of any other version.
      KEEL_RETURN_IF_ERROR(repo::DeleteOtherVersions(*conn, t.id, name, m->def.version));
    }
    const std::string& metric_name = name;  // structured bindings are not captured by C++20 clang
    const int64_t version = m->def.version;
    auto write = [&](int g, TimeMs b, const std::string& dims, const Cell& c) -> Status {
      repo::CellRow row{int64_t{g}, b, dims, c.n, c.sum,
                        c.n ? std::optional<double>(c.lo) : std::nullopt, c.n ? std::optional<double>(c.hi) : std::nullopt,
                        c.distinct ? std::optional<std::string>(EncodeDistinct(c)) : std::nullopt};
      return repo::UpsertCell(*conn, t.id, metric_name, version, row);
    };
    for (const auto& [g, b] : m->dirty) {
      auto it = m->buckets[g].find(b);
      if (it == m->buckets[g].end()) continue;
      KEEL_RETURN_IF_ERROR(write(g, b, "", it->second.total));
      for (const auto& [key, cell] : it->second.cells) {
        KEEL_RETURN_IF_ERROR(write(g, b, EncodeDims(*m, key, t.master), cell));
      }
    }
    // Retention: old minute and hour buckets leave memory and the store.
    for (int g : {0, 1}) {
      TimeMs cut = g == 0 ? minute_cut : hour_cut;
      auto& bm = m->buckets[g];
      if (!bm.empty() && bm.begin()->first < cut) {
        bm.erase(bm.begin(), bm.lower_bound(cut));
        m->ForgetHot();
        KEEL_RETURN_IF_ERROR(repo::DeleteCellsBefore(*conn, t.id, name, m->def.version, g, cut));
      }
    }
    KEEL_RETURN_IF_ERROR(repo::SaveState(*conn, t.id, name, m->def.version, m->applied_seq, now_text));
  }
  KEEL_RETURN_IF_ERROR(tx.Commit());
  for (auto& [name, m] : t.metrics) {
    m->dirty.clear();
    m->ForgetHot();
    m->persisted_seq = m->applied_seq;
  }
  t.last_flush = now;
  flushes.fetch_add(1, std::memory_order_relaxed);
  return Status();
}

void MetricEngine::Impl::PublishEvents(int64_t tenant, std::span<const events::Event> evs, int64_t after) {
  std::vector<std::pair<std::string, EventListener>> ls;
  {
    MutexLock lock(mu);
    for (const auto& [id, l] : event_listeners) ls.push_back(l);
  }
  if (ls.empty()) return;
  for (const events::Event& ev : evs) {
    if (ev.seq <= after) continue;  // a backfill reading old events again
    for (const auto& [prefix, l] : ls) {
      if (ev.type.compare(0, prefix.size(), prefix) == 0) l(tenant, ev);
    }
  }
}

void MetricEngine::Impl::Publish(int64_t tenant, const std::vector<std::string>& changed, int64_t seq) {
  std::vector<Listener> ls;
  {
    MutexLock lock(mu);
    for (const auto& [id, l] : listeners) ls.push_back(l);
  }
  for (const auto& l : ls) l(tenant, changed, seq);
}

MetricEngine::MetricEngine(store::Database& db, const Clock& clock, EngineOptions options)
    : impl_(std::make_unique<Impl>(db, clock, options)) {}

MetricEngine::~MetricEngine() { Stop(); }

void MetricEngine::Start() {
  // Every tenant's rollups come up at start (on the consumer's thread), so alerts and streams
  // work before the first query.
  std::vector<int64_t> ids;
  if (auto conn = impl_->db.Acquire(); conn.ok()) {
    if (auto active = repo::ActiveTenants(**conn); active.ok()) ids = std::move(*active);
  }
  impl_->consumer.Start();
  for (int64_t id : ids) impl_->consumer.Notify(id);
}

void MetricEngine::Stop() {
  if (!impl_->consumer.running()) return;
  impl_->consumer.Stop();
  std::vector<std::shared_ptr<Tenant>> ts;
  {
    MutexLock lock(impl_->mu);
    for (auto& [id, t] : impl_->tenants) ts.push_back(t);
  }
  MutexLock step(impl_->step_mu);
  for (auto& t : ts) {
    Status st = impl_->Flush(*t, true);
    if (!st.ok()) spdlog::error("metric engine: final flush of tenant {}: {}", t->id, st.ToString());
  }
}

void MetricEngine::Notify(int64_t tenant_id) { impl_->consumer.Notify(tenant_id); }

Status MetricEngine::CatchUp(int64_t tenant_id, bool flush) {
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->GetTenant(tenant_id));
  KEEL_RETURN_IF_ERROR(impl_->consumer.Drain(tenant_id));
  if (flush) {
    MutexLock step(impl_->step_mu);
    KEEL_RETURN_IF_ERROR(impl_->Flush(*t, true));
  }
  impl_->applied_cv.NotifyAll();
  return Status();
}

bool MetricEngine::WaitApplied(int64_t tenant_id, int64_t seq, int64_t timeout_ms) {
  auto t = impl_->GetTenant(tenant_id);
  if (!t.ok()) return false;
  Notify(tenant_id);
  auto done = [&] {
    std::shared_lock lock((*t)->mu);
    if ((*t)->reload) return false;
    for (const auto& [n, m] : (*t)->metrics) {
      if (m->def.kind == Kind::kSimple && m->applied_seq < seq) return false;
    }
    return (*t)->read_seq >= seq;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  MutexLock lock(impl_->mu);
  while (!done()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    // Woken by the consumer after each pass; re-checked at least every 50 ms (the wake-up is
    // sent without the mutex, so one can fall between the check and the wait).
    impl_->applied_cv.WaitUntil(impl_->mu, std::min(deadline, now + std::chrono::milliseconds(50)));
  }
  return true;
}

int MetricEngine::AddListener(Listener l) {
  MutexLock lock(impl_->mu);
  int id = impl_->next_listener++;
  impl_->listeners[id] = std::move(l);
  return id;
}

void MetricEngine::RemoveListener(int id) {
  MutexLock lock(impl_->mu);
  impl_->listeners.erase(id);
}

int MetricEngine::AddEventListener(std::string type_prefix, EventListener l) {
  MutexLock lock(impl_->mu);
  int id = impl_->next_listener++;
  impl_->event_listeners[id] = {std::move(type_prefix), std::move(l)};
  return id;
}

void MetricEngine::RemoveEventListener(int id) {
  MutexLock lock(impl_->mu);
  impl_->event_listeners.erase(id);
}

MetricEngine::Stats MetricEngine::stats() const {
  Stats s;
  s.events_applied = impl_->events_applied.load();
  s.cell_updates = impl_->cell_updates.load();
  s.flushes = impl_->flushes.load();
  MutexLock lock(impl_->mu);
  for (const auto& [id, t] : impl_->tenants) {
    std::shared_lock tl(t->mu);
    for (const auto& [n, m] : t->metrics) {
      for (const auto& g : m->buckets) {
        for (const auto& [b, bucket] : g) s.cells += static_cast<int64_t>(bucket.cells.size()) + 1;
      }
    }
  }
  return s;
}

// ---- definitions ----

Result<std::vector<DefinitionView>> MetricEngine::ListDefinitions(const domain::Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->GetTenant(p.tenant_id));
  std::shared_lock lock(t->mu);
  TenantLookup lookup(*t);
  std::vector<DefinitionView> items;
  for (const auto& [name, m] : t->metrics) {
    DefinitionView v;
    v.def = m->def;
    v.queryable_dimensions = QueryableDimensions(m->def, lookup);
    if (m->def.kind == Kind::kSimple) {
      v.backfill = Backfill{m->applied_seq, t->read_seq, m->applied_seq >= t->read_seq,
                            t->read_seq == 0 ? 1.0 : std::min(1.0, static_cast<double>(m->applied_seq) / static_cast<double>(t->read_seq))};
    }
    items.push_back(std::move(v));
  }
  return items;
}

Result<DefinitionView> MetricEngine::GetDefinition(const domain::Principal& p, const std::string& name) {
  KEEL_ASSIGN_OR_RETURN(std::vector<DefinitionView> all, ListDefinitions(p));
  for (auto& v : all) {
    if (v.def.name != name) continue;
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::VersionRow> rows, repo::DefinitionVersions(*conn, p.tenant_id, name));
    for (const auto& row : rows) v.versions.push_back({row.version, row.status, row.owner_id, row.created_at});
    return std::move(v);
  }
  return Status::NotFound("metric");
}

Status MetricEngine::CheckDefinition(const domain::Principal& p, const json& body) {
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->GetTenant(p.tenant_id));
  std::shared_lock lock(t->mu);
  TenantLookup lookup(*t);
  return ParseDefinition(body, lookup).status();
}

Result<MetricDef> MetricEngine::SaveDefinition(const domain::Principal& p, const json& body, const std::string& replace_name) {
  if (!CanWrite(p.role)) return Forbidden();
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->GetTenant(p.tenant_id));
  auto parse = [&]() -> Result<MetricDef> {
    std::shared_lock lock(t->mu);
    TenantLookup lookup(*t);
    return ParseDefinition(body, lookup);
  };
  Result<MetricDef> parsed = parse();
  if (!parsed.ok() && parsed.status().code() == "metric.unknown_source") {
    // A custom event type declared a moment ago may not have reached the engine's worker yet:
    // read the definitions again before saying the source is unknown.
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    {
      MutexLock step(impl_->step_mu);
      KEEL_RETURN_IF_ERROR(impl_->LoadDefinitions(*t, *conn));
    }
    parsed = parse();
  }
  KEEL_RETURN_IF_ERROR(parsed.status());
  MetricDef def = std::move(parsed).value();
  if (!replace_name.empty() && def.name != replace_name) {
    return Status::Invalid("metric.invalid", "the name in the body differs from the URL", "请求体中的名称与 URL 不一致", "name");
  }
  def.owner_id = p.user_id;
  def.builtin = false;
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_ASSIGN_OR_RETURN(def.version, domain::NextVersion(*conn, kMetricKind, p.tenant_id, def.name, !replace_name.empty()));
  KEEL_ASSIGN_OR_RETURN(json before, domain::ActiveVersion(*conn, kMetricKind, p.tenant_id, def.name));
  KEEL_RETURN_IF_ERROR(domain::InsertVersion(*conn, kMetricKind, p.tenant_id, def.name, def.version, def.ToJson().dump(), p.user_id,
                                             impl_->clock.NowMs()));
  KEEL_RETURN_IF_ERROR(events::AppendOne(*conn, p.tenant_id, impl_->clock.NowMs(), replace_name.empty() ? "metric_def.created" : "metric_def.updated", "metric_defs", 0, p.user_id, def.ToJson().dump()).status());
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, impl_->clock.NowMs(),
                                           {replace_name.empty() ? "create" : "update", "metric_defs", 0, before, def.ToJson()}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  {
    // Reload now, so the next definition can refer to this one; the worker backfills it.
    MutexLock step(impl_->step_mu);
    KEEL_RETURN_IF_ERROR(impl_->LoadDefinitions(*t, *conn));
  }
  Notify(p.tenant_id);
  return def;
}

Status MetricEngine::ArchiveDefinition(const domain::Principal& p, const std::string& name) {
  if (!CanWrite(p.role)) return Forbidden();
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->GetTenant(p.tenant_id));
  {
    std::shared_lock lock(t->mu);
    for (const auto& [n, m] : t->metrics) {
      const MetricDef& d = m->def;
      bool uses = d.numerator == name || d.denominator == name || d.input == name ||
                  std::find(d.inputs.begin(), d.inputs.end(), name) != d.inputs.end();
      if (uses) {
        return Status::Error(ErrorKind::kConflict, "metric.in_use", "metric '" + n + "' uses '" + name + "'",
                             "指标 '" + n + "' 引用了 '" + name + "'", "name");
      }
    }
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_ASSIGN_OR_RETURN(json before, domain::ActiveVersion(*conn, kMetricKind, p.tenant_id, name));
  KEEL_ASSIGN_OR_RETURN(int64_t n, repo::ArchiveDefinition(*conn, p.tenant_id, name));
  if (n == 0) return Status::NotFound("metric");
  KEEL_RETURN_IF_ERROR(repo::DeleteRollups(*conn, p.tenant_id, name));
  KEEL_RETURN_IF_ERROR(events::AppendOne(*conn, p.tenant_id, impl_->clock.NowMs(), "metric_def.archived", "metric_defs", 0, p.user_id, json{{"name", name}}.dump()).status());
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, impl_->clock.NowMs(), {"archive", "metric_defs", 0, before, {{"name", name}, {"status", "archived"}}}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  {
    MutexLock step(impl_->step_mu);
    KEEL_RETURN_IF_ERROR(impl_->LoadDefinitions(*t, *conn));
  }
  Notify(p.tenant_id);
  return Status();
}

Result<std::vector<SourceInfo>> MetricEngine::Sources(const domain::Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->GetTenant(p.tenant_id));
  std::shared_lock lock(t->mu);
  std::vector<SourceInfo> out(BuiltinSources().begin(), BuiltinSources().end());
  for (const auto& [n, s] : t->custom_sources) out.push_back(s);
  return out;
}

Result<std::shared_ptr<const TimeZone>> MetricEngine::ZoneOf(int64_t tenant_id) {
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->GetTenant(tenant_id));
  return t->tz;
}

bool MetricEngine::HasMetric(int64_t tenant_id, const std::string& name) {
  auto t = impl_->GetTenant(tenant_id);
  if (!t.ok()) return false;
  std::shared_lock lock((*t)->mu);
  return (*t)->metrics.count(name) > 0;
}

}  // namespace keel::metrics
