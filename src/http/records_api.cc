// A collection's aggregates and exports (docs/api.md, "Aggregates" and "Exports"): the same
// filters and the same unit-tree scope as its list, because they are built by the same code
// (RecordService::Filter) — what a person can list is exactly what they can count and download.
#include <algorithm>

#include "common/spreadsheet.h"
#include "domain/custom_fields.h"
#include "http/api.h"
#include "http/openapi.h"

namespace keel::http {

using domain::EntityDef;
using domain::FieldType;

namespace {

json AggregateJson(const domain::AggregateResult& r) {
  json groups = json::array();
  for (const auto& g : r.groups) {
    json key = json::object(), values = json::object();
    for (size_t i = 0; i < r.group_by.size(); ++i) key[r.group_by[i]] = g.key[i];
    for (size_t i = 0; i < r.measures.size(); ++i) values[r.measures[i]] = g.values[i];
    groups.push_back({{"key", key}, {"values", values}});
  }
  json totals = json::object();
  for (size_t i = 0; i < r.measures.size(); ++i) totals[r.measures[i]] = r.totals[i];
  return {{"group_by", r.group_by}, {"measures", r.measures}, {"groups", groups},
          {"totals", totals}, {"group_count", r.group_count}, {"truncated", r.truncated}};
}

json AggregateSchema() {
  using namespace schema;  // NOLINT(google-build-using-namespace): the builders read as the schema
  json value = {{"type", json::array({"number", "null"})}, {"description", "count, or the measure (money in yuan); null over no values"}};
  json key_value = {{"type", json::array({"string", "integer", "boolean", "null"})}};
  return Component("Aggregate",
      Obj({{"group_by", Arr(Str(), "the group fields, as asked")},
           {"measures", Arr(Str(), "the measures, as asked (count, sum:amount …)")},
           {"groups", Arr(Obj({{"key", Map(key_value, "group field → value (null: records without one)")},
                               {"values", Map(value, "measure → value")}},
                              {"key", "values"}),
                          "largest count first, then by key")},
           {"totals", Map(value, "measure → value over every matching record (the groups' sum when not truncated)")},
           {"group_count", Int("groups in all")},
           {"truncated", Bool("more groups than `limit`: the rest are left out (totals still count them)")}},
          {"group_by", "measures", "groups", "totals", "group_count", "truncated"},
          "Measures over a collection, grouped / 集合的分组汇总"));
}

// The columns of an export: id, the visible fields, the custom fields, the record's times.
struct ExportColumn {
  std::string header;
  std::string key;     // the item's member
  std::string custom;  // non-empty: a member of item["custom"]
};

std::vector<ExportColumn> ExportColumns(const EntityDef& e, const std::vector<domain::CustomFieldDef>& custom) {
  std::vector<ExportColumn> out = {{"id", "id", ""}};
  for (const auto& f : e.fields) {
    if (f.hidden || f.type == FieldType::kPassword || f.name == "id") continue;
    if (f.name == "custom") {
      for (const auto& d : custom) out.push_back({"custom." + d.name, "custom", d.name});
      continue;
    }
    out.push_back({f.name, f.name, ""});
  }
  out.push_back({"created_at", "created_at", ""});
  out.push_back({"updated_at", "updated_at", ""});
  return out;
}

SheetCell Cell(const json& v) {
  if (v.is_null()) return std::monostate{};
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return v.get<std::string>();
  return v.dump(-1, ' ', false, json::error_handler_t::replace);  // a JSON field: its text
}

}  // namespace

void Api::AddRecordReportRoutes(const EntityDef& e) {
  const std::string base = "/api/v1/" + e.UrlSegment();
  domain::RecordService* rs = &records_;
  store::Database* db = &db_;
  const EntityDef* def = &e;

  std::vector<std::pair<std::string, std::string>> filters = {
      {"include_archived", "true to include archived records"},
      {"<field>", "the list's filters: equality on a filterable field; suffixes _gte _lte _gt _lt _ne _in _null"}};
  bool searchable = std::any_of(e.fields.begin(), e.fields.end(), [](const domain::FieldDef& f) { return f.search; });
  if (searchable) filters.push_back({"q", "text search over the searchable fields"});

  auto aggregate_query = filters;
  aggregate_query.insert(aggregate_query.begin(), {{"$GroupBy", ""}, {"$Measures", ""}, {"$GroupLimit", ""}});
  RouteDoc aggregate{"Counts and sums of " + e.name + ", grouped (the list's filters and scope)",
                     "按字段分组汇总" + e.zh + "（与列表相同的筛选和可见范围）", e.name, nullptr, AggregateSchema(), aggregate_query};
  aggregate.operation_id = "aggregate" + EntityTitle(e);
  aggregate.aliased = false;
  router_.Add("GET", base + "/aggregate", [rs, def](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(domain::AggregateResult r, rs->Aggregate(c.p(), *def, c.req.query));
    return Reply{200, AggregateJson(r)};
  }, aggregate);

  auto export_query = filters;
  export_query.insert(export_query.begin(), {{"$ExportFormat", ""}, {"$MaxRows", ""},
                                             {"sort", "field or -field; default " + e.default_sort},
                                             {"after", "X-Keel-Next-After of the previous file: continues the export"}});
  RouteDoc exported{"Download " + e.name + " as CSV or XLSX (the list's filters, sort and scope; at most max_rows rows a file)",
                    "导出" + e.zh + "为 CSV 或 XLSX（与列表相同的筛选、排序和可见范围）", e.name, nullptr,
                    {{"type", "string"}, {"format", "binary"}, {"description", "the file: a header row of field names, then one row a record"}},
                    export_query};
  exported.response_type = "text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  exported.operation_id = "export" + EntityTitle(e);
  exported.aliased = false;
  router_.Add("GET", base + "/export", [rs, db, def](Call& c) -> Result<Reply> {
    std::string format = "csv";
    int64_t max_rows = kExportMaxRows;
    std::string after;
    domain::QueryParams list_params;
    for (const auto& [name, value] : c.req.query) {
      if (name == "format") {
        format = value;
      } else if (name == "max_rows") {
        char* end = nullptr;
        long long v = std::strtoll(value.c_str(), &end, 10);
        if (value.empty() || *end || v < 1 || v > kExportMaxRows) {
          return Status::Invalid("validation.parameter", "max_rows must be an integer from 1 to " + std::to_string(kExportMaxRows),
                                 "max_rows 应为 1 到 " + std::to_string(kExportMaxRows) + " 的整数", name);
        }
        max_rows = v;
      } else if (name == "limit" || name == "cursor") {
        return Status::Invalid("validation.parameter", "an export takes max_rows, not " + name, "导出请用 max_rows，而不是 " + name, name);
      } else if (name == "after") {
        after = value;
      } else {
        list_params.emplace_back(name, value);
      }
    }
    KEEL_ASSIGN_OR_RETURN(std::unique_ptr<SheetWriter> sheet, SheetWriter::Open(format, def->name));
    std::vector<domain::CustomFieldDef> custom;
    if (def->Field("custom")) {
      KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db->Acquire());
      KEEL_ASSIGN_OR_RETURN(custom, domain::LoadCustomFields(*conn, c.p().tenant_id, def->name));
    }
    const std::vector<ExportColumn> columns = ExportColumns(*def, custom);
    std::vector<SheetCell> row;
    for (const auto& col : columns) row.emplace_back(col.header);
    KEEL_RETURN_IF_ERROR(sheet->AddRow(row));

    // Page by page through the list itself (its filters, sort and scope), so a file never holds a
    // row the list would not show; memory is one page of records plus the file.
    int64_t rows = 0;
    std::optional<std::string> next = after.empty() ? std::nullopt : std::optional<std::string>(after);
    do {
      domain::QueryParams page = list_params;
      page.emplace_back("limit", std::to_string(std::min<int64_t>(kMaxPageLimit, max_rows - rows)));
      if (next) page.emplace_back("after", *next);
      auto r = rs->List(c.p(), *def, page);
      if (!r.ok()) return r.status().field() == "cursor" ? r.status().WithField("after") : r.status();
      for (const json& item : r->items) {
        row.clear();
        for (const auto& col : columns) {
          const json* v = &item;
          if (!col.custom.empty()) {
            auto it = item.find("custom");
            v = it != item.end() && it->is_object() && it->contains(col.custom) ? &(*it)[col.custom] : nullptr;
          } else {
            auto it = item.find(col.key);
            v = it != item.end() ? &*it : nullptr;
          }
          row.push_back(v ? Cell(*v) : SheetCell{});
        }
        KEEL_RETURN_IF_ERROR(sheet->AddRow(row));
        ++rows;
      }
      next = r->next_cursor;
    } while (next && rows < max_rows);

    Reply reply;
    KEEL_ASSIGN_OR_RETURN(reply.raw, sheet->Finish());
    reply.raw_content_type = SheetWriter::MediaType(format);
    reply.headers = {{"Content-Disposition", "attachment; filename=\"" + def->name + "." + format + "\""},
                     {"X-Content-Type-Options", "nosniff"},
                     {"X-Keel-Row-Count", std::to_string(rows)}};
    if (next) reply.headers.emplace_back("X-Keel-Next-After", *next);  // more rows than max_rows
    return reply;
  }, exported);
}

}  // namespace keel::http
