// Queries: metric(s) × group × grain × range from the in-memory rollups, inside the caller's
// scope. A range is cut into whole days, then whole hours, then minutes at its ends, and each
// piece is read from the stored grain that fits it.
#include <algorithm>
#include <cmath>
#include <functional>

#include "metrics/engine.h"
#include "metrics/internal.h"
#include "metrics/store.h"

namespace keel::metrics {
namespace {

using domain::Principal;
using domain::Role;

constexpr int64_t kMinuteMs = 60000, kHourMs = 3600000, kDayMs = 86400000;

using GroupKey = std::array<int64_t, 2>;
using Points = std::map<TimeMs, std::optional<double>>;          // local bucket → value
using Table = std::map<GroupKey, Points>;
constexpr TimeMs kWhole = INT64_MIN;                                // the one bucket of a total

struct Selection {
  std::vector<std::string> group_by;
  std::vector<std::pair<std::string, std::string>> filters;
  // scope
  int64_t only_rep = 0;
  std::set<int64_t> team;
  std::string unit_path;  // unit subtree
};

Status Bad(const std::string& field, const std::string& en, const std::string& zh) {
  return Status::Invalid("query.invalid", en, zh, field);
}

int DimIndex(const Metric& m, const std::string& dim) {
  for (size_t i = 0; i < m.def.dimensions.size(); ++i) {
    if (m.def.dimensions[i] == dim) return static_cast<int>(i);
  }
  return -1;
}

// Resolves a cell's dimensions to its group, or nullopt when the selection excludes it.
class Resolver {
 public:
  Resolver(const Tenant& t, const Metric& m, const Selection& sel) : t_(t), m_(m), sel_(sel) {
    unit_idx_ = DimIndex(m, "unit");
    rep_idx_ = DimIndex(m, "rep");
  }
  Result<bool> Prepare() {
    for (const auto& g : sel_.group_by) {
      int idx = g == "region" ? unit_idx_ : DimIndex(m_, g);
      if (idx < 0) return Bad("group_by", "metric '" + m_.def.name + "' has no dimension '" + g + "'",
                              "指标 '" + m_.def.name + "' 没有维度 '" + g + "'");
      group_idx_.push_back(idx);
    }
    for (const auto& [dim, value] : sel_.filters) {
      int idx = dim == "region" ? unit_idx_ : DimIndex(m_, dim);
      if (idx < 0) return Bad(dim, "metric '" + m_.def.name + "' has no dimension '" + dim + "'",
                              "指标 '" + m_.def.name + "' 没有维度 '" + dim + "'");
      Filter f;
      f.idx = idx;
      if (dim == "unit" || dim == "region") {
        char* end = nullptr;
        int64_t id = std::strtoll(value.c_str(), &end, 10);
        auto u = t_.master.units.find(id);
        if (u == t_.master.units.end()) return Bad(dim, "no unit " + value, "不存在单元 " + value);
        f.path = u->second.path;
      } else if (m_.dim_is_text[static_cast<size_t>(idx)]) {
        f.value = t_.master.Find(value);
        if (f.value < 0) f.value = -2;  // never matches
      } else {
        char* end = nullptr;
        f.value = std::strtoll(value.c_str(), &end, 10);
        if (end == value.c_str() || *end != '\0') return Bad(dim, dim + " must be an id", dim + " 必须是编号");
      }
      filters_.push_back(f);
    }
    if (sel_.only_rep || !sel_.team.empty()) {
      if (rep_idx_ < 0) return Status::Error(ErrorKind::kForbidden, "query.scope",
                                             "metric '" + m_.def.name + "' is not kept by rep; your role sees only your own figures",
                                             "指标 '" + m_.def.name + "' 未按销售代表维度统计；您的角色只能查看本人数据");
    }
    if (!sel_.unit_path.empty() && unit_idx_ < 0) {
      return Status::Error(ErrorKind::kForbidden, "query.scope",
                           "metric '" + m_.def.name + "' is not kept by unit; your role sees only your unit",
                           "指标 '" + m_.def.name + "' 未按单元维度统计；您的角色只能查看本单元数据");
    }
    // Whole-tenant totals without groups or filters can use the bucket total.
    use_total_ = group_idx_.empty() && filters_.empty() && !sel_.only_rep && sel_.team.empty() && sel_.unit_path.empty();
    return true;
  }
  bool use_total() const { return use_total_; }
  std::optional<GroupKey> Resolve(const DimKey& k) {
    auto it = cache_.find(k);
    if (it != cache_.end()) return it->second;
    std::optional<GroupKey> out = Compute(k);
    cache_.emplace(k, out);
    return out;
  }

 private:
  struct Filter {
    int idx;
    int64_t value = 0;
    std::string path;
  };
  bool UnitWithin(int64_t unit, const std::string& path) const {
    auto u = t_.master.units.find(unit);
    return u != t_.master.units.end() && u->second.path.rfind(path, 0) == 0;
  }
  std::optional<GroupKey> Compute(const DimKey& k) const {
    if (sel_.only_rep && k[static_cast<size_t>(rep_idx_)] != sel_.only_rep) return std::nullopt;
    if (!sel_.team.empty() && !sel_.team.count(k[static_cast<size_t>(rep_idx_)])) return std::nullopt;
    if (!sel_.unit_path.empty() && !UnitWithin(k[static_cast<size_t>(unit_idx_)], sel_.unit_path)) return std::nullopt;
    for (const auto& f : filters_) {
      int64_t v = k[static_cast<size_t>(f.idx)];
      if (!f.path.empty() ? !UnitWithin(v, f.path) : v != f.value) return std::nullopt;
    }
    GroupKey g{0, 0};
    for (size_t i = 0; i < group_idx_.size(); ++i) {
      int64_t v = k[static_cast<size_t>(group_idx_[i])];
      if (sel_.group_by[i] == "region") v = t_.master.AncestorOfKind(v, "region");
      else if (sel_.group_by[i] == "unit") {
        int64_t team = t_.master.AncestorOfKind(v, "unit");
        v = team ? team : v;
      }
      g[i] = v;
    }
    return g;
  }
  const Tenant& t_;
  const Metric& m_;
  const Selection& sel_;
  int unit_idx_ = -1, rep_idx_ = -1;
  std::vector<int> group_idx_;
  std::vector<Filter> filters_;
  bool use_total_ = false;
  std::unordered_map<DimKey, std::optional<GroupKey>, DimKeyHash> cache_;
};

// A piece of the range read from one stored grain.
struct Piece {
  int grain;
  TimeMs from, to;  // local
};

// Cuts [from, to) (local, minute-aligned) into pieces no finer than needed and no coarser than
// `out` allows.
void Cut(TimeMs from, TimeMs to, int coarsest, std::vector<Piece>& out) {
  if (from >= to) return;
  static constexpr int64_t kSize[] = {kMinuteMs, kHourMs, kDayMs};
  for (int g = coarsest; g >= 0; --g) {
    TimeMs a = (from + kSize[g] - 1) / kSize[g] * kSize[g];
    TimeMs b = TimeZone::FloorLocal(to, StoredGrain(g));
    if (a < b) {
      Cut(from, a, g - 1, out);
      out.push_back({g, a, b});
      Cut(b, to, g - 1, out);
      return;
    }
  }
}

}  // namespace

// Query-side helper with access to Impl-free tenant state; defined here to keep engine.cc short.
struct QueryRunner {
  const Tenant& t;
  const EngineOptions& opt;
  TimeMs now_local;
  const DefinitionLookup& lookup;

  const Metric* Find(const std::string& name) const {
    auto it = t.metrics.find(name);
    return it == t.metrics.end() ? nullptr : it->second.get();
  }

  // Aggregates a simple metric into cells by group and output bucket.
  Status Scan(const Metric& m, TimeMs from, TimeMs to, std::optional<Grain> out, const Selection& sel,
              std::map<GroupKey, std::map<TimeMs, Cell>>& result) const {
    Resolver r(t, m, sel);
    KEEL_RETURN_IF_ERROR(r.Prepare().status());
    int coarsest = !out ? 2 : *out == Grain::kMinute ? 0 : *out == Grain::kHour ? 1 : 2;
    std::vector<Piece> pieces;
    Cut(from, to, coarsest, pieces);
    for (const Piece& p : pieces) {
      TimeMs floor_minute = now_local - opt.minute_retention_ms, floor_hour = now_local - opt.hour_retention_ms;
      if ((p.grain == 0 && p.from < TimeZone::FloorLocal(floor_minute, Grain::kHour)) ||
          (p.grain == 1 && p.from < TimeZone::FloorLocal(floor_hour, Grain::kDay))) {
        return Status::Invalid("query.too_fine",
                               std::string(p.grain == 0 ? "minute" : "hour") + " detail is kept for the last " +
                                   std::to_string((p.grain == 0 ? opt.minute_retention_ms : opt.hour_retention_ms) / kDayMs) +
                                   " days; align the range to " + (p.grain == 0 ? "hours" : "days") + " or use a coarser grain",
                               std::string(p.grain == 0 ? "分钟" : "小时") + "明细只保留最近 " +
                                   std::to_string((p.grain == 0 ? opt.minute_retention_ms : opt.hour_retention_ms) / kDayMs) +
                                   " 天；请按" + (p.grain == 0 ? "小时" : "天") + "对齐时间范围或使用更粗的粒度",
                               "from");
      }
      const auto& buckets = m.buckets[p.grain];
      for (auto it = buckets.lower_bound(p.from); it != buckets.end() && it->first < p.to; ++it) {
        TimeMs ob = out ? TimeZone::FloorLocal(it->first, *out) : kWhole;
        if (r.use_total()) {
          result[GroupKey{0, 0}][ob].Merge(it->second.total);
          continue;
        }
        for (const auto& [key, cell] : it->second.cells) {
          auto g = r.Resolve(key);
          if (g) result[*g][ob].Merge(cell);
        }
      }
    }
    return Status();
  }

  // Values of any metric kind by group and output bucket.
  Result<Table> Eval(const std::string& name, TimeMs from, TimeMs to, std::optional<Grain> out, const Selection& sel,
                     int depth = 0) const {
    if (depth > 16) return Status::Invalid("metric.cycle", "metric inputs nest too deep", "指标引用层级过深");
    const Metric* m = Find(name);
    if (m == nullptr) return Status::NotFound("metric", "metrics");
    const MetricDef& d = m->def;
    Table table;
    switch (d.kind) {
      case Kind::kSimple: {
        std::map<GroupKey, std::map<TimeMs, Cell>> cells;
        KEEL_RETURN_IF_ERROR(Scan(*m, from, to, out, sel, cells));
        for (auto& [g, pts] : cells) {
          for (auto& [b, c] : pts) table[g][b] = c.Result(d.agg);
        }
        return table;
      }
      case Kind::kRatio: {
        KEEL_ASSIGN_OR_RETURN(Table num, Eval(d.numerator, from, to, out, sel, depth + 1));
        KEEL_ASSIGN_OR_RETURN(Table den, Eval(d.denominator, from, to, out, sel, depth + 1));
        for (auto& [g, pts] : den) {
          for (auto& [b, v] : pts) {
            std::optional<double> n;
            if (auto gi = num.find(g); gi != num.end()) {
              if (auto bi = gi->second.find(b); bi != gi->second.end()) n = bi->second;
            }
            table[g][b] = (v && *v != 0) ? std::optional<double>(n.value_or(0) / *v) : std::nullopt;
          }
        }
        return table;
      }
      case Kind::kDerived: {
        std::vector<Table> ins;
        for (const auto& in : d.inputs) {
          KEEL_ASSIGN_OR_RETURN(Table x, Eval(in, from, to, out, sel, depth + 1));
          ins.push_back(std::move(x));
        }
        std::vector<formula::FieldInfo> fields;
        for (const auto& in : d.inputs) fields.push_back({in, formula::Type::kNumber});
        KEEL_ASSIGN_OR_RETURN(formula::Formula f, formula::Formula::Compile(d.expr, fields, formula::Type::kNumber));
        std::set<std::pair<GroupKey, TimeMs>> keys;
        for (const auto& x : ins) {
          for (const auto& [g, pts] : x) {
            for (const auto& [b, v] : pts) keys.insert({g, b});
          }
        }
        formula::Arena arena;
        formula::EvalContext ctx;
        ctx.arena = &arena;
        std::vector<formula::Value> vals(ins.size());
        for (const auto& [g, b] : keys) {
          for (size_t i = 0; i < ins.size(); ++i) {
            std::optional<double> v;
            if (auto gi = ins[i].find(g); gi != ins[i].end()) {
              if (auto bi = gi->second.find(b); bi != gi->second.end()) v = bi->second;
            }
            vals[i] = v ? formula::Value::Number(*v) : formula::Value::Number(0);
          }
          formula::Value r = f.Eval(vals, ctx);
          table[g][b] = r.type == formula::Type::kNumber ? std::optional<double>(r.number) : std::nullopt;
        }
        return table;
      }
      case Kind::kCumulative: {
        // Running totals from the start of each point's period (or of all time).
        if (out && !d.all_time && static_cast<int>(*out) > static_cast<int>(d.to_date)) {
          return Status::Invalid("query.invalid", "grain is coarser than the metric's to-date period",
                                 "粒度比指标的累计周期更粗", "grain");
        }
        const Metric* in = Find(d.input);
        if (in == nullptr) return Status::NotFound("metric");
        TimeMs start;
        if (d.all_time) {
          start = from;
          if (!in->buckets[2].empty()) start = std::min(start, in->buckets[2].begin()->first);
          start = TimeZone::FloorLocal(start, Grain::kDay);
        } else {
          start = TimeZone::FloorLocal(out ? from : to - 1, d.to_date);
          start = std::min(start, from);
        }
        std::optional<Grain> scan_grain = out ? out : std::optional<Grain>(Grain::kDay);
        std::map<GroupKey, std::map<TimeMs, Cell>> cells;
        // Pieces before `from` at day grain, then the requested range.
        KEEL_RETURN_IF_ERROR(Scan(*in, start, to, scan_grain, sel, cells));
        for (auto& [g, pts] : cells) {
          double running = 0;
          TimeMs period = INT64_MIN;
          std::map<TimeMs, double> series;
          for (auto& [b, c] : pts) {
            TimeMs p = d.all_time ? 0 : TimeZone::FloorLocal(b, d.to_date);
            if (p != period) {
              running = 0;
              period = p;
            }
            running += in->def.agg == Agg::kCount ? static_cast<double>(c.n) : c.sum;
            series[b] = running;
          }
          if (!out) {
            TimeMs p_end = d.all_time ? 0 : TimeZone::FloorLocal(to - 1, d.to_date);
            double v = 0;
            for (auto& [b, run] : series) {
              if (d.all_time || TimeZone::FloorLocal(b, d.to_date) == p_end) v = run;
            }
            table[g][kWhole] = v;
          } else {
            // Carry the running value across buckets without events.
            double carry = 0;
            TimeMs carry_period = INT64_MIN;
            auto it = series.begin();
            for (TimeMs b = TimeZone::FloorLocal(start, *out); b < to; b = TimeZone::NextLocal(b, *out)) {
              TimeMs p = d.all_time ? 0 : TimeZone::FloorLocal(b, d.to_date);
              if (p != carry_period) {
                carry = 0;
                carry_period = p;
              }
              while (it != series.end() && it->first <= b) {
                carry = it->second;
                ++it;
              }
              if (b >= TimeZone::FloorLocal(from, *out)) table[g][b] = carry;
            }
          }
        }
        return table;
      }
    }
    return table;
  }
};

namespace {

std::string DimText(const Tenant& t, const Metric* m, const std::string& dim, int64_t v) {
  if (v == 0) return "";
  bool text = false;
  if (m && m->def.kind == Kind::kSimple) {
    int idx = DimIndex(*m, dim == "region" ? "unit" : dim);
    text = idx >= 0 && m->dim_is_text[static_cast<size_t>(idx)] && dim != "region";
  }
  return text ? t.master.texts[static_cast<size_t>(v)] : std::to_string(v);
}

std::string NameOf(const Tenant& t, const std::string& dim, const std::string& value) {
  if (value.empty()) return dim == "region" || dim == "unit" ? "（未归属）" : "—";
  char* end = nullptr;
  int64_t id = std::strtoll(value.c_str(), &end, 10);
  bool numeric = end != value.c_str() && *end == '\0';
  if (numeric && (dim == "unit" || dim == "region")) {
    auto u = t.master.units.find(id);
    if (u != t.master.units.end()) return u->second.name;
  } else if (numeric && dim == "rep") {
    auto u = t.master.users.find(id);
    if (u != t.master.users.end()) return u->second.name;
  } else if (numeric && dim == "store") {
    auto s = t.master.stores.find(id);
    if (s != t.master.stores.end()) return s->second;
  }
  return value;
}

// A simple metric that decides how a composite one's groups read (the first simple input).
const Metric* FirstSimple(const Tenant& t, const std::string& name, int depth = 0) {
  auto it = t.metrics.find(name);
  if (it == t.metrics.end() || depth > 16) return nullptr;
  const MetricDef& d = it->second->def;
  switch (d.kind) {
    case Kind::kSimple: return it->second.get();
    case Kind::kRatio: return FirstSimple(t, d.numerator, depth + 1);
    case Kind::kDerived: return d.inputs.empty() ? nullptr : FirstSimple(t, d.inputs[0], depth + 1);
    case Kind::kCumulative: return FirstSimple(t, d.input, depth + 1);
  }
  return nullptr;
}

Selection ScopeOf(const Tenant& t, const Principal& p) {
  Selection sel;
  if (domain::SeesWholeTenant(p.role) || p.is_system()) return sel;
  if (p.role == Role::kRep) {
    sel.only_rep = p.user_id;
  } else if (p.role == Role::kSupervisor) {
    sel.team.insert(p.user_id);
    for (const auto& [id, u] : t.master.users) {
      if (u.supervisor == p.user_id) sel.team.insert(id);
    }
  } else {
    sel.unit_path = p.unit_path.empty() ? "/none/" : p.unit_path;
  }
  return sel;
}

std::optional<double> At(const Table& table, const GroupKey& g, TimeMs b) {
  auto gi = table.find(g);
  if (gi == table.end()) return std::nullopt;
  auto bi = gi->second.find(b);
  return bi == gi->second.end() ? std::nullopt : bi->second;
}

// A figure as answered: 4 decimals; none when blank or not finite.
std::optional<double> Rounded(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return std::nullopt;
  return std::round(*v * 10000.0) / 10000.0;
}

// A figure over a comparison period and its change from it in percent.
ComparedFigure Compared(std::optional<double> now, std::optional<double> then) {
  ComparedFigure c;
  c.value = Rounded(then);
  if (now && then && *then != 0) c.change_pct = Rounded((*now - *then) / std::fabs(*then) * 100.0);
  return c;
}

}  // namespace

std::string MetricEngine::DisplayName(int64_t tenant_id, const std::string& dim, const std::string& value) {
  auto t = impl_->GetTenant(tenant_id);
  if (!t.ok()) return value;
  std::shared_lock lock((*t)->mu);
  return NameOf(**t, dim, value);
}

std::vector<std::string> MetricEngine::Dimensions(int64_t tenant_id, const std::string& name) {
  auto t = impl_->GetTenant(tenant_id);
  if (!t.ok()) return {};
  std::shared_lock lock((*t)->mu);
  TenantLookup lookup(**t);
  const MetricDef* d = lookup.FindMetric(name);
  return d ? QueryableDimensions(*d, lookup) : std::vector<std::string>{};
}

const MetricDef* MetricEngine::FindForValidation(int64_t tenant_id, const std::string& name) {
  auto t = impl_->GetTenant(tenant_id);
  if (!t.ok()) return nullptr;
  std::shared_lock lock((*t)->mu);
  auto it = (*t)->metrics.find(name);
  return it == (*t)->metrics.end() ? nullptr : &it->second->def;
}

Result<std::optional<double>> MetricEngine::ValueOf(int64_t tenant_id, const std::string& metric, TimeMs from, TimeMs to,
                                                  const std::vector<std::pair<std::string, std::string>>& filters) {
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->GetTenant(tenant_id));
  std::shared_lock lock(t->mu);
  TenantLookup lookup(*t);
  TimeMs now_local = t->tz->ToLocal(impl_->clock.NowMs());
  QueryRunner run{*t, impl_->opt, now_local, lookup};
  Selection sel;
  sel.filters = filters;
  TimeMs lf = TimeZone::FloorLocal(t->tz->ToLocal(from), Grain::kMinute);
  TimeMs lt = TimeZone::FloorLocal(t->tz->ToLocal(to) + kMinuteMs - 1, Grain::kMinute);
  // Windows that reach back beyond the kept detail start at the hour or day boundary before.
  if (lf < now_local - impl_->opt.hour_retention_ms + kDayMs) lf = TimeZone::FloorLocal(lf, Grain::kDay);
  else if (lf < now_local - impl_->opt.minute_retention_ms + kHourMs) lf = TimeZone::FloorLocal(lf, Grain::kHour);
  if (lt < now_local - impl_->opt.hour_retention_ms + kDayMs) lt = TimeZone::FloorLocal(lt, Grain::kDay);
  else if (lt < now_local - impl_->opt.minute_retention_ms + kHourMs) lt = TimeZone::FloorLocal(lt, Grain::kHour);
  KEEL_ASSIGN_OR_RETURN(Table table, run.Eval(metric, lf, lt, std::nullopt, sel));
  return At(table, GroupKey{0, 0}, kWhole);
}

Result<std::vector<std::vector<std::pair<std::string, std::string>>>> MetricEngine::Groups(
    int64_t tenant_id, const std::string& metric, const std::vector<std::string>& group_by, TimeMs from, TimeMs to) {
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->GetTenant(tenant_id));
  std::shared_lock lock(t->mu);
  TenantLookup lookup(*t);
  QueryRunner run{*t, impl_->opt, t->tz->ToLocal(impl_->clock.NowMs()), lookup};
  Selection sel;
  sel.group_by = group_by;
  TimeMs lf = TimeZone::FloorLocal(t->tz->ToLocal(from), Grain::kDay);
  TimeMs lt = TimeZone::FloorLocal(t->tz->ToLocal(to) + kMinuteMs - 1, Grain::kMinute);
  KEEL_ASSIGN_OR_RETURN(Table table, run.Eval(metric, lf, lt, std::nullopt, sel));
  const Metric* simple = FirstSimple(*t, metric);
  std::vector<std::vector<std::pair<std::string, std::string>>> out;
  for (const auto& [g, pts] : table) {
    std::vector<std::pair<std::string, std::string>> labels;
    for (size_t i = 0; i < group_by.size(); ++i) labels.emplace_back(group_by[i], DimText(*t, simple, group_by[i], g[i]));
    out.push_back(std::move(labels));
  }
  return out;
}

Result<std::optional<double>> MetricEngine::Target(int64_t tenant_id, const std::string& target_metric, TimeMs from,
                                                   TimeMs to, const std::vector<std::pair<std::string, std::string>>& filters) {
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->GetTenant(tenant_id));
  std::string from_date = FormatDate(t->tz->ToLocal(from) / kDayMs);
  std::string to_date = FormatDate((t->tz->ToLocal(to) - 1) / kDayMs);
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::TargetRow> rows, repo::Targets(*conn, tenant_id, target_metric, from_date, to_date));
  std::string path;
  int64_t rep = 0;
  {
    std::shared_lock lock(t->mu);
    for (const auto& [dim, value] : filters) {
      if (dim == "unit" || dim == "region") {
        auto u = t->master.units.find(std::strtoll(value.c_str(), nullptr, 10));
        if (u != t->master.units.end()) path = u->second.path;
      } else if (dim == "rep") {
        rep = std::strtoll(value.c_str(), nullptr, 10);
      } else {
        return std::optional<double>();
      }
    }
  }
  double sum = 0;
  bool any = false;
  for (const auto& r : rows) {
    bool user_row = r.user_id.has_value();
    if (rep != 0 ? (!user_row || *r.user_id != rep) : user_row) continue;
    if (!path.empty() && r.unit_path.rfind(path, 0) != 0) continue;
    sum += r.value;
    any = true;
  }
  return any ? std::optional<double>(sum) : std::nullopt;
}

Result<QueryResult> MetricEngine::Query(const Principal& p, const MetricQuery& q) {
  if (q.metrics.empty()) return Bad("metrics", "name at least one metric", "请至少指定一个指标");
  if (q.metrics.size() > 20) return Bad("metrics", "at most 20 metrics per query", "每次查询最多 20 个指标");
  if (q.group_by.size() > 2) return Bad("group_by", "group by at most 2 dimensions", "最多按 2 个维度分组");
  if (q.to <= q.from) return Bad("to", "to must be after from", "结束时间必须晚于开始时间");
  if (q.to - q.from > 6LL * 366 * kDayMs) return Bad("from", "the range is longer than 6 years", "时间范围超过 6 年");
  if (q.top < 0 || q.top > 1000) return Bad("top", "top is 1 … 1000", "top 取值 1 … 1000");
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->GetTenant(p.tenant_id));
  std::shared_lock lock(t->mu);
  TenantLookup lookup(*t);
  for (size_t i = 0; i < q.metrics.size(); ++i) {
    if (!t->metrics.count(q.metrics[i])) {
      return Status::Error(ErrorKind::kNotFound, "metric.not_found", "no metric named '" + q.metrics[i] + "'",
                           "不存在名为 '" + q.metrics[i] + "' 的指标", "metrics[" + std::to_string(i) + "]");
    }
  }
  const TimeZone& tz = *t->tz;
  TimeMs now_local = tz.ToLocal(impl_->clock.NowMs());
  QueryRunner run{*t, impl_->opt, now_local, lookup};
  TimeMs lf = TimeZone::FloorLocal(tz.ToLocal(q.from), Grain::kMinute);
  TimeMs lt = TimeZone::FloorLocal(tz.ToLocal(q.to) + kMinuteMs - 1, Grain::kMinute);
  if (q.grain) {
    int64_t n = 0;
    for (TimeMs b = TimeZone::FloorLocal(lf, *q.grain); b < lt && n <= 5000; b = TimeZone::NextLocal(b, *q.grain)) ++n;
    if (n > 5000) return Bad("grain", "more than 5000 points; use a coarser grain", "数据点超过 5000 个；请使用更粗的粒度");
  }
  Selection sel = ScopeOf(*t, p);
  sel.group_by = q.group_by;
  sel.filters = q.filters;
  TimeMs len = lt - lf;
  TimeMs ly_from = TimeZone::AddMonthsLocal(lf, -12), ly_to = TimeZone::AddMonthsLocal(lt, -12);

  struct PerMetric {
    Table total, points, previous, last_year;
  };
  std::vector<PerMetric> data(q.metrics.size());
  std::set<GroupKey> groups;
  for (size_t i = 0; i < q.metrics.size(); ++i) {
    auto total = run.Eval(q.metrics[i], lf, lt, std::nullopt, sel);
    if (!total.ok()) {
      Status st = total.status();
      return st.field().empty() ? st.WithField("metrics[" + std::to_string(i) + "]") : st;
    }
    data[i].total = std::move(*total);
    for (const auto& [g, pts] : data[i].total) groups.insert(g);
    if (q.grain) {
      KEEL_ASSIGN_OR_RETURN(data[i].points, run.Eval(q.metrics[i], lf, lt, q.grain, sel));
    }
    if (q.compare_previous) {
      auto prev = run.Eval(q.metrics[i], lf - len, lf, std::nullopt, sel);
      if (prev.ok()) data[i].previous = std::move(*prev);
    }
    if (q.compare_last_year) {
      auto ly = run.Eval(q.metrics[i], ly_from, ly_to, std::nullopt, sel);
      if (ly.ok()) data[i].last_year = std::move(*ly);
    }
  }
  if (groups.empty() && q.group_by.empty()) groups.insert(GroupKey{0, 0});
  std::vector<GroupKey> order(groups.begin(), groups.end());
  if (!q.group_by.empty()) {
    std::stable_sort(order.begin(), order.end(), [&](const GroupKey& a, const GroupKey& b) {
      return At(data[0].total, a, kWhole).value_or(-INFINITY) > At(data[0].total, b, kWhole).value_or(-INFINITY);
    });
  }
  if (q.top > 0 && order.size() > static_cast<size_t>(q.top)) order.resize(static_cast<size_t>(q.top));
  // A reply is bounded: thousands of groups (rep × store …) need top=N or a filter.
  const size_t kMaxGroupsWithoutTop = impl_->opt.max_groups;
  if (q.top == 0 && order.size() > kMaxGroupsWithoutTop) {
    return Status::Error(ErrorKind::kUnprocessable, "metrics.too_many_groups",
                         "the query has " + std::to_string(order.size()) + " groups (at most " + std::to_string(kMaxGroupsWithoutTop) +
                             " without top); add top=N (1-1000) or a filter such as unit=…",
                         "查询结果有 " + std::to_string(order.size()) + " 个分组（不带 top 时最多 " + std::to_string(kMaxGroupsWithoutTop) +
                             " 个）；请加上 top=N（1-1000）或筛选条件，如 unit=…",
                         "group_by");
  }

  const Metric* first_simple = FirstSimple(*t, q.metrics[0]);
  QueryResult out;
  out.from = tz.FormatLocal(tz.ToUtc(lf));
  out.to = tz.FormatLocal(tz.ToUtc(lt));
  out.time_zone = tz.name();
  out.grain = q.grain;
  out.group_by = q.group_by;
  for (const auto& name : q.metrics) {
    const MetricDef& d = t->metrics.at(name)->def;
    out.metrics.push_back({name, p.locale.rfind("en", 0) == 0 ? d.label_en : d.label_zh, d.label_zh, d.label_en, d.unit, d.version});
  }
  // Targets need the tenant lock released (they read the store); collect what they need first.
  struct TargetAsk {
    size_t metric;
    size_t group;
    std::string target;
    std::vector<std::pair<std::string, std::string>> filters;
  };
  std::vector<TargetAsk> asks;
  for (size_t gi = 0; gi < order.size(); ++gi) {
    const GroupKey& g = order[gi];
    QueryGroup row;
    std::vector<std::pair<std::string, std::string>> gfilters = q.filters;
    for (size_t i = 0; i < q.group_by.size(); ++i) {
      std::string v = DimText(*t, first_simple, q.group_by[i], g[i]);
      row.labels.push_back({q.group_by[i], v, NameOf(*t, q.group_by[i], v)});
      gfilters.emplace_back(q.group_by[i], v);
    }
    for (size_t i = 0; i < q.metrics.size(); ++i) {
      const MetricDef& d = t->metrics.at(q.metrics[i])->def;
      const Metric* simple = FirstSimple(*t, q.metrics[i]);
      bool zero_fill = simple == t->metrics.at(q.metrics[i]).get() &&
                       (d.agg == Agg::kCount || d.agg == Agg::kSum || d.agg == Agg::kCountDistinct);
      auto filled = [&](const Table& table, TimeMs b) {
        auto v = At(table, g, b);
        return !v && zero_fill ? std::optional<double>(0.0) : v;
      };
      auto total = filled(data[i].total, kWhole);
      MetricFigures f;
      f.metric = q.metrics[i];
      f.value = Rounded(total);
      if (q.compare_previous) f.previous = Compared(total, filled(data[i].previous, kWhole));
      if (q.compare_last_year) f.last_year = Compared(total, filled(data[i].last_year, kWhole));
      if (q.grain) {
        f.points.emplace();
        for (TimeMs b = TimeZone::FloorLocal(lf, *q.grain); b < lt; b = TimeZone::NextLocal(b, *q.grain)) {
          f.points->push_back({tz.FormatLocal(tz.ToUtc(b)), Rounded(filled(data[i].points, b))});
        }
      }
      if (q.targets && !d.target.empty()) asks.push_back({i, gi, d.target, gfilters});
      row.figures.push_back(std::move(f));
    }
    out.groups.push_back(std::move(row));
  }
  lock.unlock();
  for (const auto& a : asks) {
    // Scope: a target is read for the group, within the caller's own filters.
    std::vector<std::pair<std::string, std::string>> f = a.filters;
    if (p.role == Role::kRep) f.emplace_back("rep", std::to_string(p.user_id));
    else if (!domain::SeesWholeTenant(p.role) && a.filters.empty()) f.emplace_back("unit", std::to_string(p.unit_id));
    auto target = Target(p.tenant_id, a.target, q.from, q.to, f);
    MetricFigures& v = out.groups[a.group].figures[a.metric];
    v.target.emplace();
    if (!target.ok() || !*target) continue;
    v.target->target = Rounded(**target);
    if (v.value && **target != 0) v.target->completion = Rounded(*v.value / **target);
  }
  return out;
}

}  // namespace keel::metrics
