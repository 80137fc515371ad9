// Routes of the metric engine: definitions (JSON or YAML bodies), sources, live check, query.
#include <algorithm>

#include "common/tz.h"
#include "http/api.h"
#include "http/openapi.h"
#include "metrics/engine.h"
#include "metrics/query_json.h"

namespace keel::http {
namespace {

// A definition as listed: its canonical document, the dimensions it can be grouped by and, for a
// simple metric, how far its backfill is.
json ToJson(const metrics::DefinitionView& v) {
  json j = v.def.ToJson();
  j["queryable_dimensions"] = v.queryable_dimensions;
  if (v.backfill) {
    const metrics::Backfill& b = *v.backfill;
    j["applied_seq"] = b.applied_seq;
    j["backfill"] = {{"applied_seq", b.applied_seq}, {"head_seq", b.head_seq}, {"done", b.done}, {"progress", b.progress}};
  }
  return j;
}

json ToJson(const metrics::SourceInfo& s) {
  json fields = json::array();
  for (const auto& f : s.fields) {
    fields.push_back({{"name", f.name}, {"type", formula::TypeName(f.type)}, {"zh", f.zh}, {"en", f.en}});
  }
  json dims = s.dimensions;
  if (std::find(s.dimensions.begin(), s.dimensions.end(), "unit") != s.dimensions.end()) dims.push_back("region");
  return {{"name", s.name}, {"event_type", s.event_type}, {"zh", s.zh}, {"en", s.en}, {"custom", s.custom},
          {"fields", fields}, {"dimensions", dims}};
}

template <typename T>
Result<Reply> ItemsOf(Result<std::vector<T>> r) {
  if (!r.ok()) return r.status();
  json items = json::array();
  for (const auto& x : *r) items.push_back(ToJson(x));
  return Reply{200, json{{"items", std::move(items)}}};
}

// A saved definition: backfilled from the start of the log.
Result<Reply> Saved(Result<metrics::MetricDef> r, int status) {
  if (!r.ok()) return r.status();
  json out = r->ToJson();
  out["backfill"] = {{"applied_seq", 0}, {"done", false}};
  return Reply{status, std::move(out)};
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Status BadParam(const std::string& field, const std::string& en, const std::string& zh) {
  return Status::Invalid("query.invalid", en, zh, field);
}

// "2026-11-01" (a local day; `to` includes it) or a timestamp with a zone.
Result<TimeMs> ParseInstant(const std::string& v, const TimeZone& tz, bool end, const std::string& field) {
  if (v.size() == 10) {
    auto d = ParseDate(v);
    if (!d.ok()) return d.status().WithField(field);
    return tz.ToUtc((*d + (end ? 1 : 0)) * 86400000LL);
  }
  auto t = ParseTimestamp(v);
  if (!t.ok()) return t.status().WithField(field);
  return *t;
}

// Named ranges relative to now in the tenant's zone.
Result<std::pair<TimeMs, TimeMs>> NamedRange(const std::string& name, const TimeZone& tz, TimeMs now) {
  TimeMs local = tz.ToLocal(now);
  auto at = [&](TimeMs l) { return tz.ToUtc(l); };
  TimeMs day = TimeZone::FloorLocal(local, Grain::kDay);
  if (name == "today") return std::pair{at(day), now};
  if (name == "yesterday") return std::pair{at(day - 86400000), at(day)};
  if (name == "last_7_days") return std::pair{at(day - 6 * 86400000LL), now};
  if (name == "last_30_days") return std::pair{at(day - 29 * 86400000LL), now};
  if (name == "this_week") return std::pair{at(TimeZone::FloorLocal(local, Grain::kWeek)), now};
  if (name == "this_month") return std::pair{at(TimeZone::FloorLocal(local, Grain::kMonth)), now};
  if (name == "last_month") {
    TimeMs m = TimeZone::FloorLocal(local, Grain::kMonth);
    return std::pair{at(TimeZone::AddMonthsLocal(m, -1)), at(m)};
  }
  if (name == "this_quarter") return std::pair{at(TimeZone::FloorLocal(local, Grain::kQuarter)), now};
  if (name == "this_year") return std::pair{at(TimeZone::FloorLocal(local, Grain::kYear)), now};
  if (name == "last_12_months") return std::pair{at(TimeZone::AddMonthsLocal(TimeZone::FloorLocal(local, Grain::kMonth), -11)), now};
  return BadParam("range", "range is today, yesterday, last_7_days, last_30_days, this_week, this_month, last_month, "
                           "this_quarter, this_year or last_12_months",
                  "range 可为 today、yesterday、last_7_days、last_30_days、this_week、this_month、last_month、"
                  "this_quarter、this_year、last_12_months");
}

}  // namespace

Result<metrics::MetricQuery> ParseMetricQuery(const QueryParams& params, const TimeZone& tz, TimeMs now) {
  metrics::MetricQuery q;
  std::string from, to, range;
  for (const auto& [k, v] : params) {
    if (k == "metrics" || k == "metric") {
      auto names = SplitList(v);
      q.metrics.insert(q.metrics.end(), names.begin(), names.end());
    } else if (k == "group_by") {
      q.group_by = SplitList(v);
    } else if (k == "grain") {
      auto g = ParseGrain(v);
      if (!g.ok()) return g.status().WithField("grain");
      q.grain = *g;
    } else if (k == "from") {
      from = v;
    } else if (k == "to") {
      to = v;
    } else if (k == "range") {
      range = v;
    } else if (k == "top") {
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 1 || n > 1000) return BadParam("top", "top is 1 … 1000", "top 取值 1 … 1000");
      q.top = static_cast<int>(n);
    } else if (k == "compare") {
      for (const auto& c : SplitList(v)) {
        if (c == "previous") q.compare_previous = true;
        else if (c == "last_year") q.compare_last_year = true;
        else return BadParam("compare", "compare is previous and/or last_year", "compare 可为 previous 和/或 last_year");
      }
    } else if (k == "targets") {
      q.targets = v == "true" || v == "1";
    } else {
      q.filters.emplace_back(k, v);
    }
  }
  if (q.metrics.empty()) return BadParam("metrics", "metrics=name[,name…] is required", "必须提供 metrics=指标名[,…]");
  if (!range.empty()) {
    if (!from.empty() || !to.empty()) return BadParam("range", "give either range or from/to", "range 与 from/to 只能二选一");
    KEEL_ASSIGN_OR_RETURN(auto r, NamedRange(range, tz, now));
    q.from = r.first;
    q.to = r.second;
  } else {
    TimeMs day = tz.ToUtc(TimeZone::FloorLocal(tz.ToLocal(now), Grain::kDay));
    q.from = day;
    q.to = now;
    if (!from.empty()) {
      KEEL_ASSIGN_OR_RETURN(q.from, ParseInstant(from, tz, false, "from"));
    }
    if (!to.empty()) {
      KEEL_ASSIGN_OR_RETURN(q.to, ParseInstant(to, tz, true, "to"));
    }
    if (q.to <= q.from && to.empty()) q.to = q.from + 86400000;
  }
  return q;
}

void Api::AddMetricRoutes() {
  metrics::MetricEngine* engine = services_.metrics;
  if (engine == nullptr) return;
  const Clock* clock = &records_.clock();
  json def_schema = {{"type", "object"},
                     {"description", "A metric definition (see docs/metrics.md); JSON or YAML (Content-Type: application/yaml)"},
                     {"required", {"name"}},
                     {"properties",
                      {{"name", {{"type", "string"}, {"pattern", "^[a-z][a-z0-9_]{0,62}$"}}},
                       {"type", {{"type", "string"}, {"enum", {"simple", "ratio", "derived", "cumulative"}}}},
                       {"label", {{"type", "object"}}}, {"unit", {{"type", "string"}}},
                       {"source", {{"type", "string"}}},
                       {"agg", {{"type", "string"}, {"enum", {"count", "count_distinct", "sum", "avg", "min", "max"}}}},
                       {"value", {{"type", "string"}}}, {"filter", {{"type", "string"}}},
                       {"dimensions", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                       {"numerator", {{"type", "string"}}}, {"denominator", {{"type", "string"}}},
                       {"expr", {{"type", "string"}}}, {"inputs", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                       {"input", {{"type", "string"}}}, {"to_date", {{"type", "string"}}},
                       {"target", {{"type", "string"}}}}}};
  using namespace schema;  // NOLINT(google-build-using-namespace): the builders read as the schema
  json stored = def_schema;  // as stored: the definition with its version and backfill
  stored["description"] = "A metric definition with its version and backfill progress / 指标定义（含版本与回填进度）";
  stored["properties"]["label"] = Obj({{"zh", Str()}, {"en", Str()}});
  const json extra = {{"version", Int()}, {"owner_id", Null(Int())}, {"builtin", Bool("shipped with Keel")},
                                 {"applied_seq", Int("the event-log position the metric has applied")},
                                 {"backfill", Obj({{"applied_seq", Int()}, {"head_seq", Int()}, {"done", Bool()}, {"progress", Num("0…1")}},
                                                  {"done"})},
                                 {"queryable_dimensions", Arr(Str(), "group_by and filter names it answers")},
                                 {"versions", Arr(Obj({{"version", Int()}, {"status", Str("active, superseded or archived")},
                                                       {"owner_id", Null(Int())}, {"created_at", Time()}},
                                                      {"version", "status"}),
                                                  "GET /metrics/{name}: every version")}};
  for (const auto& [k, v] : extra.items()) stored["properties"][k] = v;
  stored["required"] = {"name", "type", "version"};
  const json metric = Component("MetricDefinition", stored);
  const json checked = Obj({{"ok", Bool()}}, {"ok"}, "The definition is valid / 定义有效");
  const json archived = Obj({{"name", Str()}, {"status", Enum({"archived"})}}, {"name", "status"});
  const json sources = Items(Obj({{"name", Str("order, activity, … or a custom event type")}, {"event_type", Str()}, {"zh", Str()}, {"en", Str()},
                                  {"custom", Bool()},
                                  {"fields", Arr(Obj({{"name", Str()}, {"type", Str("number, text, timestamp")}, {"zh", Str()}, {"en", Str()}},
                                                     {"name", "type"}))},
                                  {"dimensions", Arr(Str())}},
                                 {"name", "fields", "dimensions"}),
                             "Fact sources / 数据来源");
  const json figure = Null(Num());
  const json value = Obj({{"value", figure}, {"previous", figure}, {"change_pct", figure}, {"last_year", figure}, {"yoy_pct", figure},
                          {"points", Arr(Obj({{"t", Str("the bucket's start, local time with offset")}, {"value", figure}}, {"t", "value"}),
                                         "with grain")},
                          {"target", figure}, {"completion", Null(Num("value / target"))}},
                         {"value"}, "null: no data (a count or sum of nothing is 0)");
  const json query_result = Obj(
      {{"from", Str("local time with offset")}, {"to", Str()}, {"time_zone", Str()}, {"grain", Null(Str())}, {"group_by", Arr(Str())},
       {"metrics", Arr(Obj({{"name", Str()}, {"label", Str("in the reader's language")}, {"label_zh", Str()}, {"label_en", Str()},
                            {"unit", Null(Str())}, {"version", Int()}},
                           {"name", "version"}))},
       {"groups", Arr(Obj({{"group", Map(Obj({{"value", Null(Str())}, {"name", Null(Str())}}), "dimension → its value and name; {} without group_by")},
                           {"values", Map(value, "metric name → its figures")}},
                          {"group", "values"}))}},
      {"from", "to", "time_zone", "grain", "group_by", "metrics", "groups"}, "Metric figures by group / 指标查询结果");
  router_.Add("GET", "/api/v1/metrics", [engine](Call& c) { return ItemsOf(engine->ListDefinitions(c.p())); },
              {"List metric definitions with backfill progress", "查询指标定义列表（含回填进度）", "metrics", nullptr, Items(metric)});
  router_.Add("POST", "/api/v1/metrics", [engine](Call& c) { return Saved(engine->SaveDefinition(c.p(), c.body), 201); },
              Yaml({"Define a metric (validated; backfilled from the event log)", "新建指标（校验后从事件日志回填）", "metrics",
                    def_schema, metric, {}, 201}));
  router_.Add("POST", "/api/v1/metrics/check", [engine](Call& c) -> Result<Reply> {
    KEEL_RETURN_IF_ERROR(engine->CheckDefinition(c.p(), c.body));
    return Reply{200, {{"ok", true}}};
  }, Yaml({"Validate a metric definition without saving it", "校验指标定义（不保存）", "metrics", def_schema, checked}));
  router_.Add("GET", "/api/v1/metrics/sources", [engine](Call& c) { return ItemsOf(engine->Sources(c.p())); },
              {"Fact sources metrics can count, with their fields and dimensions", "可统计的数据来源及其字段与维度",
               "metrics", nullptr, sources});
  router_.Add("GET", "/api/v1/metrics/query", [engine, clock](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(auto tz, engine->ZoneOf(c.p().tenant_id));
    KEEL_ASSIGN_OR_RETURN(metrics::MetricQuery q, ParseMetricQuery(c.req.query, *tz, clock->NowMs()));
    KEEL_ASSIGN_OR_RETURN(metrics::QueryResult r, engine->Query(c.p(), q));
    return Reply{200, metrics::ToJson(r)};
  }, {"Query metrics × dimensions × grain × range, within the caller's scope", "按维度、粒度与时间范围查询指标（仅限可见范围）",
      "metrics", nullptr, query_result,
      {{"metrics", "comma-separated metric names (required)"},
       {"group_by", "up to two dimensions, e.g. unit,rep (unit = team level, region = region level)"},
       {"grain", "minute, hour, day, week, month, quarter or year: adds points"},
       {"from", "YYYY-MM-DD (local day) or a timestamp with zone; default start of today"},
       {"to", "YYYY-MM-DD (inclusive local day) or a timestamp with zone; default now"},
       {"range", "today, yesterday, last_7_days, last_30_days, this_week, this_month, last_month, this_quarter, this_year, last_12_months"},
       {"top", "keep the top N groups by the first metric"},
       {"compare", "previous and/or last_year"},
       {"targets", "true: target and completion for metrics with a target"},
       {"<dimension>", "filter, e.g. unit=1015 (subtree), rep=1044, channel=store"}}});
  router_.Add("GET", "/api/v1/metrics/{name}", [engine](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(metrics::DefinitionView v, engine->GetDefinition(c.p(), c.name()));
    json j = ToJson(v);
    j["versions"] = json::array();
    for (const auto& r : v.versions) {
      j["versions"].push_back({{"version", r.version}, {"status", r.status}, {"owner_id", r.owner_id}, {"created_at", r.created_at}});
    }
    return Reply{200, std::move(j)};
  },
              {"A metric definition with its versions", "指标定义及其版本", "metrics", nullptr, metric});
  router_.Add("PUT", "/api/v1/metrics/{name}", [engine](Call& c) {
    return Saved(engine->SaveDefinition(c.p(), c.body, c.name()), 200);
  }, Yaml({"Change a metric: a new version, backfilled", "修改指标：生成新版本并回填", "metrics", def_schema, metric}));
  router_.Add("DELETE", "/api/v1/metrics/{name}", [engine](Call& c) -> Result<Reply> {
    KEEL_RETURN_IF_ERROR(engine->ArchiveDefinition(c.p(), c.name()));
    return Reply{200, {{"name", c.name()}, {"status", "archived"}}};
  },
              {"Archive a metric (refused while another metric uses it)", "归档指标（被其他指标引用时拒绝）", "metrics", nullptr, archived});
}

}  // namespace keel::http
