// Aggregates over a collection (GET /<collection>/aggregate): the list's filters and scope, grouped
// by a few fields, with counts, sums, averages and extremes — funnels, kanban sums, pivot reports.
#include <algorithm>
#include <cmath>

#include "domain/codec.h"
#include "domain/records.h"
#include "domain/store.h"

namespace keel::domain {

using store::Value;

namespace {

Status BadParam(const std::string& name, const std::string& en, const std::string& zh) {
  return Status::Invalid("validation.parameter", en, zh, name);
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// Fields whose values form a bounded set worth grouping by.
bool Groupable(const FieldDef& f) {
  switch (f.type) {
    case FieldType::kRef:
    case FieldType::kString:
    case FieldType::kEnum:
    case FieldType::kBool:
    case FieldType::kInt:
    case FieldType::kDate:
    case FieldType::kCurrency:
    case FieldType::kCategory:
      return !f.hidden && f.filter;
    default:
      return false;
  }
}

bool Numeric(const FieldDef& f) {
  return !f.hidden && (f.type == FieldType::kInt || f.type == FieldType::kNumber || f.type == FieldType::kMoney);
}

std::string Names(const EntityDef& e, bool (*pred)(const FieldDef&)) {
  std::string list;
  for (const auto& f : e.fields) {
    if (pred(f)) list += (list.empty() ? "" : ", ") + f.name;
  }
  return list.empty() ? "-" : list;
}

struct Measure {
  std::string name;              // as requested: "count", "sum:amount"
  const FieldDef* field = nullptr;  // null for count
  AggregateMeasureSql sql;
};

Result<std::vector<const FieldDef*>> ParseGroups(const EntityDef& e, const std::string& value) {
  std::vector<const FieldDef*> out;
  for (const std::string& name : SplitList(value)) {
    const FieldDef* f = e.Field(name);
    if (!f || !Groupable(*f)) {
      return BadParam("group_by", "cannot group " + e.name + " by '" + name + "'; groupable: " + Names(e, Groupable),
                      "不能按 '" + name + "' 分组；可分组字段：" + Names(e, Groupable));
    }
    if (std::find(out.begin(), out.end(), f) != out.end()) {
      return BadParam("group_by", "group_by names '" + name + "' twice", "group_by 重复了 '" + name + "'");
    }
    out.push_back(f);
  }
  if (out.size() > 3) return BadParam("group_by", "group by at most 3 fields", "最多按 3 个字段分组");
  return out;
}

Result<std::vector<Measure>> ParseMeasures(const EntityDef& e, const std::string& value) {
  std::vector<Measure> out;
  for (const std::string& spec : SplitList(value)) {
    Measure m{.name = spec};
    size_t colon = spec.find(':');
    std::string fn = spec.substr(0, colon);
    if (spec == "count") {
      m.sql.fn = "count";
    } else if (colon != std::string::npos && (fn == "sum" || fn == "avg" || fn == "min" || fn == "max")) {
      std::string name = spec.substr(colon + 1);
      const FieldDef* f = e.Field(name);
      if (!f || !Numeric(*f)) {
        return BadParam("measures", "cannot take " + fn + " of " + e.name + "." + name + "; numeric fields: " + Names(e, Numeric),
                        "不能对 '" + name + "' 求 " + fn + "；数值字段：" + Names(e, Numeric));
      }
      m.field = f;
      m.sql = {.fn = fn, .column = ColumnOf(*f), .integer = f->type != FieldType::kNumber};
    } else {
      return BadParam("measures", "unknown measure '" + spec + "'; use count, sum:<field>, avg:<field>, min:<field> or max:<field>",
                      "未知度量 '" + spec + "'；可用 count、sum:<字段>、avg:<字段>、min:<字段>、max:<字段>");
    }
    if (std::any_of(out.begin(), out.end(), [&](const Measure& x) { return x.name == spec; })) {
      return BadParam("measures", "measures names '" + spec + "' twice", "measures 重复了 '" + spec + "'");
    }
    out.push_back(std::move(m));
  }
  if (out.size() > 8) return BadParam("measures", "at most 8 measures", "最多 8 个度量");
  return out;
}

// A measure's value in the API's shape: money in yuan, a sum over nothing is 0.
json MeasureValue(const Measure& m, const Value& v) {
  if (m.sql.fn == "count") return store::AsInt(v);
  if (store::IsNull(v)) return m.sql.fn == "sum" ? json(0) : json(nullptr);
  bool money = m.field->type == FieldType::kMoney;
  if (m.sql.fn == "avg" || !m.sql.integer) {
    double d = store::AsDouble(v);
    return money ? d / 100.0 : d;
  }
  int64_t i = store::AsInt(v);
  return money ? json(static_cast<double>(i) / 100.0) : json(i);
}

// The totals over every group (all of them present in `rows`), as the query without GROUP BY would
// answer: counts and sums add up, extremes are the groups' extremes, an average is weighted by the
// group's count of values (the count_values columns after the measures).
std::vector<json> TotalsOfGroups(const std::vector<Measure>& measures, const store::Rows& rows) {
  std::vector<json> out;
  size_t avg_index = measures.size();
  for (size_t i = 0; i < measures.size(); ++i) {
    const Measure& m = measures[i];
    const std::string col = "m" + std::to_string(i);
    const std::string fn = m.sql.fn;
    if (fn == "count" || (fn == "sum" && m.sql.integer)) {
      int64_t total = 0;
      for (store::Row r : rows) total += store::AsInt(r[col]);
      out.push_back(MeasureValue(m, Value(total)));
    } else if (fn == "sum") {
      double total = 0;
      for (store::Row r : rows) total += store::AsDouble(r[col]);
      out.push_back(MeasureValue(m, Value(total)));
    } else if (fn == "min" || fn == "max") {
      Value best;
      for (store::Row r : rows) {
        const Value& v = r[col];
        if (store::IsNull(v)) continue;
        bool better = store::IsNull(best) || (fn == "min" ? store::AsDouble(v) < store::AsDouble(best) : store::AsDouble(v) > store::AsDouble(best));
        if (better) best = v;
      }
      out.push_back(MeasureValue(m, best));
    } else {  // avg
      const std::string counts = "m" + std::to_string(avg_index++);
      double weighted = 0;
      int64_t values = 0;
      for (store::Row r : rows) {
        int64_t c = store::AsInt(r[counts]);
        if (c == 0) continue;
        weighted += store::AsDouble(r[col]) * static_cast<double>(c);
        values += c;
      }
      out.push_back(MeasureValue(m, values == 0 ? Value() : Value(weighted / static_cast<double>(values))));
    }
  }
  return out;
}

}  // namespace

Result<AggregateResult> RecordService::Aggregate(const Principal& p, const EntityDef& e, const QueryParams& params) {
  std::vector<const FieldDef*> groups;
  std::vector<Measure> measures;
  std::string measures_spec = "count";
  int limit = kAggregateDefaultGroups;
  auto own = [&](const std::string& name, const std::string& value) -> std::optional<Status> {
    if (name == "group_by") {
      auto g = ParseGroups(e, value);
      if (!g.ok()) return g.status();
      groups = std::move(g).value();
    } else if (name == "measures") {
      measures_spec = value;
    } else if (name == "limit") {
      char* end = nullptr;
      long v = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end || v < 1 || v > kAggregateMaxGroups) {
        return BadParam(name, "limit (groups) must be an integer from 1 to " + std::to_string(kAggregateMaxGroups),
                        "limit（分组数）应为 1 到 " + std::to_string(kAggregateMaxGroups) + " 的整数");
      }
      limit = static_cast<int>(v);
    } else {
      return std::nullopt;
    }
    return Status();
  };
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(RecordFilter filter, Filter(*conn, p, e, params, own));
  KEEL_ASSIGN_OR_RETURN(measures, ParseMeasures(e, measures_spec));

  AggregateResult out;
  std::vector<std::string> columns;
  for (const FieldDef* f : groups) {
    out.group_by.push_back(f->name);
    columns.push_back(ColumnOf(*f));
  }
  std::vector<AggregateMeasureSql> sql;
  for (const auto& m : measures) {
    out.measures.push_back(m.name);
    sql.push_back(m.sql);
  }
  auto totals_query = [&]() -> Status {
    KEEL_ASSIGN_OR_RETURN(store::Rows totals, LoadAggregate(*conn, e.name, {}, sql, filter.where, filter.args, 1));
    for (size_t i = 0; i < measures.size(); ++i) {
      out.totals.push_back(MeasureValue(measures[i], totals.empty() ? Value() : totals.row(0)["m" + std::to_string(i)]));
    }
    return Status();
  };
  if (groups.empty()) {
    KEEL_RETURN_IF_ERROR(totals_query());
    return out;
  }

  // An average's totals need each group's count of values: asked for after the measures.
  for (const auto& m : measures) {
    if (m.sql.fn == "avg") sql.push_back({.fn = "count_values", .column = m.sql.column});
  }
  // One more than asked tells whether there are more groups (then they are counted).
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, LoadAggregate(*conn, e.name, columns, sql, filter.where, filter.args, limit + 1));
  size_t n = std::min(rows.size(), static_cast<size_t>(limit));
  for (size_t r = 0; r < n; ++r) {
    store::Row row = rows.row(r);
    AggregateGroup g;
    for (size_t i = 0; i < groups.size(); ++i) g.key.push_back(FromValue(*groups[i], row["g" + std::to_string(i)]));
    for (size_t i = 0; i < measures.size(); ++i) g.values.push_back(MeasureValue(measures[i], row["m" + std::to_string(i)]));
    out.groups.push_back(std::move(g));
  }
  out.truncated = rows.size() > n;
  out.group_count = static_cast<int64_t>(n);
  if (out.truncated) {
    KEEL_ASSIGN_OR_RETURN(out.group_count, CountAggregateGroups(*conn, e.name, columns, filter.where, filter.args));
    KEEL_RETURN_IF_ERROR(totals_query());  // some groups are not here: the totals from the table
  } else {
    out.totals = TotalsOfGroups(measures, rows);  // every group is here: one query is enough
  }
  return out;
}

}  // namespace keel::domain
