// Reads: filtered, sorted, keyset-paginated lists; stage history; the audit log.
#include <algorithm>

#include "common/crypto.h"
#include "domain/codec.h"
#include "domain/records_internal.h"
#include "domain/store.h"

namespace keel::domain {

using store::Value;

namespace {

Status BadParam(const std::string& name, const std::string& en, const std::string& zh) {
  return Status::Invalid("validation.parameter", en, zh, name);
}

// A sortable column of `e` (system columns included).
struct SortKey {
  std::string column;
  const FieldDef* field = nullptr;  // null for id/created_at/updated_at
  bool desc = false;
  bool nullable = false;
};

const FieldDef kIdField = [] {
  FieldDef f;
  f.name = "id";
  f.type = FieldType::kRef;
  return f;
}();
const FieldDef kTimeField = [] {
  FieldDef f;
  f.name = "created_at";
  f.type = FieldType::kTimestamp;
  return f;
}();

Result<SortKey> ParseSort(const EntityDef& e, const std::string& spec) {
  SortKey k;
  std::string name = spec;
  if (!name.empty() && name[0] == '-') {
    k.desc = true;
    name = name.substr(1);
  }
  k.column = name;
  if (name == "id") return k;
  if (name == "created_at" || name == "updated_at") {
    k.field = &kTimeField;
    return k;
  }
  const FieldDef* f = e.Field(name);
  if (!f || !f->sort) {
    std::string list = "id, created_at, updated_at";
    for (const auto& x : e.fields) {
      if (x.sort) list += ", " + x.name;
    }
    return BadParam("sort", "cannot sort " + e.name + " by '" + name + "'; sortable: " + list,
                    "不能按 '" + name + "' 排序；可排序字段：" + list);
  }
  k.field = f;
  k.nullable = !f->required && f->default_value.empty();
  return k;
}

const FieldDef* FilterField(const EntityDef& e, const std::string& name) {
  if (name == "id") return &kIdField;
  if (name == "created_at" || name == "updated_at") return &kTimeField;
  const FieldDef* f = e.Field(name);
  return f && f->filter ? f : nullptr;
}

std::string EscapeLike(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// `custom.<name>[_ne|_gt|_gte|_lt|_lte]=value`: a filter on a custom field's value in the
// record's `custom` JSON (json_extract on SQLite, ->> on PostgreSQL).
Status CustomFilter(store::Backend backend, const std::vector<CustomFieldDef>& defs, const std::string& param,
                    const std::string& value, std::string& where, std::vector<Value>& args) {
  static const std::pair<const char*, const char*> kOps[] = {
      {"", " = ?"}, {"_ne", " <> ?"}, {"_gte", " >= ?"}, {"_lte", " <= ?"}, {"_gt", " > ?"}, {"_lt", " < ?"}};
  std::string key = param.substr(7);
  for (const auto& [suffix, op] : kOps) {
    std::string s = suffix;
    if (key.size() <= s.size() || key.compare(key.size() - s.size(), s.size(), s) != 0) continue;
    std::string name = key.substr(0, key.size() - s.size());
    auto d = std::find_if(defs.begin(), defs.end(), [&](const CustomFieldDef& x) { return x.name == name; });
    if (d == defs.end()) continue;
    bool ordered = d->numeric() || d->type == "date";
    if (!ordered && s != "" && s != "_ne") {
      return BadParam(param, param + ": " + d->type + " fields filter by = and _ne only",
                      param + "：" + d->type + " 类型字段只支持等于和 _ne 筛选");
    }
    if (d->type == "text") {
      return BadParam(param, "long-text custom fields cannot be filtered", "长文本自定义字段不支持筛选");
    }
    FieldDef f = d->AsField();
    f.min = -1e15;
    f.max = 1e15;
    auto v = ParamToValue(f, value);
    if (!v.ok()) return v.status().WithField(param);
    json j = FromValue(f, *v);  // the value as stored in the JSON object (money in yuan)
    std::string expr;
    if (backend == store::Backend::kSqlite) {
      expr = "json_extract(custom, '$.\"" + name + "\"')";
      if (j.is_boolean()) args.emplace_back(int64_t{j.get<bool>()});
      else if (j.is_number()) args.emplace_back(j.get<double>());
      else args.emplace_back(j.get<std::string>());
    } else {
      expr = "(CAST(custom AS jsonb) ->> '" + name + "')";
      if (j.is_number()) {
        expr = "CAST(" + expr + " AS DOUBLE PRECISION)";
        args.emplace_back(j.get<double>());
      } else if (j.is_boolean()) {
        args.emplace_back(std::string(j.get<bool>() ? "true" : "false"));
      } else {
        args.emplace_back(j.get<std::string>());
      }
    }
    where += " AND " + expr + op;
    return Status();
  }
  std::string list;
  for (const auto& x : defs) list += (list.empty() ? "" : ", ") + x.name;
  return BadParam(param, "no custom field '" + key + "'; defined: " + (list.empty() ? "-" : list),
                  "未定义的自定义字段 '" + key + "'；已定义：" + (list.empty() ? "-" : list));
}

}  // namespace

// Parses the filters of a list of `e` as `p` sees it (the entity's filters, `q`, `custom.*`,
// include_archived; the unit-tree scope) in the order given. A parameter the caller handles itself
// goes to `own`, which returns nullopt for a name that is not its own; each name may appear once.
Result<RecordFilter> RecordService::Filter(store::Connection& conn, const Principal& p, const EntityDef& e,
                                           const QueryParams& params, const OwnParam& own) {
  RecordFilter out;
  std::vector<Value>& args = out.args;
  std::string& where = out.where;
  args.emplace_back(p.tenant_id);
  where = " WHERE tenant_id = ?";
  bool include_archived = false;
  std::vector<std::string> seen;
  std::vector<CustomFieldDef> custom;
  bool custom_loaded = false;
  for (const auto& [name, value] : params) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      return BadParam(name, "parameter '" + name + "' is given twice", "参数 '" + name + "' 重复");
    }
    seen.push_back(name);
    if (own) {
      if (std::optional<Status> st = own(name, value)) {
        KEEL_RETURN_IF_ERROR(*st);
        continue;
      }
    }
    if (name == "include_archived") {
      if (value != "true" && value != "false") {
        return BadParam(name, "include_archived must be true or false", "include_archived 应为 true 或 false");
      }
      include_archived = value == "true";
    } else if (name == "q") {
      if (Utf8Length(value) < 0 || value.size() > 200) {
        return BadParam(name, "q must be valid UTF-8 of at most 200 bytes", "q 应为不超过 200 字节的有效 UTF-8");
      }
      if (db_.backend() == store::Backend::kSqlite && e.indexed_search && Utf8Length(value) >= 3) {
        // FTS5 trigram index: a quoted phrase matches the substring in any searchable column.
        std::string phrase = "\"";
        for (char ch : value) phrase += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        where += " AND rowid IN (SELECT rowid FROM " + e.name + "_fts WHERE " + e.name + "_fts MATCH ?)";
        args.emplace_back(phrase + "\"");
        continue;
      }
      std::string ors;
      for (const auto& f : e.fields) {
        if (!f.search) continue;
        // LOWER on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
        ors += std::string(ors.empty() ? "" : " OR ") + "LOWER(" + f.name + ") LIKE LOWER(?) ESCAPE '\\'";
        args.emplace_back("%" + EscapeLike(value) + "%");
      }
      if (ors.empty()) return BadParam(name, e.name + " has no searchable text", e.zh + "不支持文本搜索");
      where += " AND (" + ors + ")";
    } else if (name.rfind("custom.", 0) == 0 && e.Field("custom")) {
      if (!custom_loaded) {
        KEEL_ASSIGN_OR_RETURN(custom, LoadCustomFields(conn, p.tenant_id, e.name));
        custom_loaded = true;
      }
      KEEL_RETURN_IF_ERROR(CustomFilter(db_.backend(), custom, name, value, where, args));
    } else {
      static const std::pair<const char*, const char*> kOps[] = {
          {"_gte", " >= ?"}, {"_lte", " <= ?"}, {"_gt", " > ?"}, {"_lt", " < ?"},
          {"_ne", " <> ?"},  {"_in", ""},       {"_null", ""}};
      std::string field = name, op = " = ?", suffix;
      const FieldDef* f = FilterField(e, name);
      if (!f) {
        for (const auto& [suf, sql] : kOps) {
          std::string s = suf;
          if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
            field = name.substr(0, name.size() - s.size());
            f = FilterField(e, field);
            op = sql;
            suffix = s;
            if (f) break;
          }
        }
      }
      if (!f) {
        return BadParam(name, "unknown parameter '" + name + "' for " + e.name,
                        "未知参数 '" + name + "'（" + e.zh + "）");
      }
      std::string column = field == "id" || field == "created_at" || field == "updated_at"
                               ? field : ColumnOf(*f);
      if (suffix == "_null") {
        if (value != "true" && value != "false") {
          return BadParam(name, name + " must be true or false", name + " 应为 true 或 false");
        }
        where += " AND " + column + (value == "true" ? " IS NULL" : " IS NOT NULL");
      } else if (suffix == "_in") {
        std::string marks;
        size_t start = 0, count = 0;
        while (start <= value.size()) {
          size_t comma = value.find(',', start);
          std::string item = value.substr(start, comma == std::string::npos ? std::string::npos
                                                                             : comma - start);
          auto v = ParamToValue(*f, item);
          if (!v.ok()) return v.status().WithField(name);
          args.push_back(std::move(v).value());
          marks += marks.empty() ? "?" : ", ?";
          if (++count > 100) return BadParam(name, name + " takes at most 100 values", name + " 最多 100 个值");
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
        where += " AND " + column + " IN (" + marks + ")";
      } else {
        auto v = ParamToValue(*f, value);
        if (!v.ok()) return v.status().WithField(name);
        args.push_back(std::move(v).value());
        where += " AND " + column + op;
      }
    }
  }
  if (!include_archived) where += " AND archived_at IS NULL";
  where += ScopeClause(p, e, args);
  return out;
}

Result<ListResult> RecordService::List(const Principal& p, const EntityDef& e,
                                       const QueryParams& params) {
  int limit = 50;
  std::string sort_spec = e.default_sort;
  std::string cursor;
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  auto own = [&](const std::string& name, const std::string& value) -> std::optional<Status> {
    if (name == "limit") {
      char* end = nullptr;
      long v = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end || v < 1 || v > 500) {
        return BadParam(name, "limit must be an integer from 1 to 500", "limit 应为 1 到 500 的整数");
      }
      limit = static_cast<int>(v);
    } else if (name == "sort") {
      sort_spec = value;
    } else if (name == "cursor" || name == "after") {  // after: the list contract's name; cursor: its old one
      cursor = value;
    } else {
      return std::nullopt;
    }
    return Status();
  };
  KEEL_ASSIGN_OR_RETURN(RecordFilter filter, Filter(*conn, p, e, params, own));
  std::string& where = filter.where;
  std::vector<Value>& args = filter.args;
  KEEL_ASSIGN_OR_RETURN(SortKey key, ParseSort(e, sort_spec));

  // Cursor: base64url of JSON [sort_spec, last_value, last_id].
  if (!cursor.empty()) {
    std::string raw;
    json c;
    if (!Base64UrlDecode(cursor, &raw) ||
        (c = json::parse(raw, nullptr, false)).is_discarded() || !c.is_array() || c.size() != 3 ||
        !c[0].is_string() || !c[2].is_number_integer()) {
      return BadParam("cursor", "cursor is malformed; pass next_cursor back unchanged",
                      "cursor 格式错误；请原样传回 next_cursor");
    }
    if (c[0].get<std::string>() != sort_spec) {
      return BadParam("cursor", "cursor was made for sort '" + c[0].get<std::string>() + "'",
                      "cursor 属于另一种排序 '" + c[0].get<std::string>() + "'");
    }
    const char* cmp = key.desc ? " < ?" : " > ?";
    int64_t last_id = c[2].get<int64_t>();
    if (key.column == "id") {
      where += " AND id" + std::string(cmp);
      args.emplace_back(last_id);
    } else {
      // The value must have the sort column's stored type (a forged cursor is a 400, not a
      // database error).
      Value last;
      FieldType t = key.field ? key.field->type : FieldType::kInt;
      bool integer = t == FieldType::kRef || t == FieldType::kInt || t == FieldType::kMoney ||
                     t == FieldType::kBool;
      bool ok = c[1].is_null() ||
                (integer ? c[1].is_number_integer()
                         : t == FieldType::kNumber ? c[1].is_number()
                                                   : c[1].is_string() && Utf8Length(c[1].get<std::string>()) >= 0);
      if (!ok) {
        return BadParam("cursor", "cursor is malformed; pass next_cursor back unchanged",
                        "cursor 格式错误；请原样传回 next_cursor");
      }
      if (c[1].is_number_integer()) last = c[1].get<int64_t>();
      else if (c[1].is_number()) last = c[1].get<double>();
      else if (c[1].is_string()) last = c[1].get<std::string>();
      if (store::IsNull(last)) {
        where += " AND " + key.column + " IS NULL AND id" + cmp;
        args.emplace_back(last_id);
      } else {
        where += " AND (" + std::string(key.nullable ? key.column + " IS NULL OR " : "") +
                 key.column + cmp + " OR (" + key.column + " = ? AND id" + cmp + "))";
        args.push_back(last);
        args.push_back(last);
        args.emplace_back(last_id);
      }
    }
  }
  std::string dir = key.desc ? " DESC" : " ASC";
  std::string order = " ORDER BY ";
  if (key.column != "id") {
    if (key.nullable) order += "(" + key.column + " IS NULL), ";
    order += key.column + dir + ", ";
  }
  order += "id" + dir;
  args.emplace_back(static_cast<int64_t>(limit + 1));

  // The sort column is fetched again at the end for the cursor (it may be a hidden alias).
  std::string sql = SelectSql(e);
  sql.insert(sql.find(" FROM "), ", " + (key.column == "id" ? std::string("id") : key.column) +
                                       " AS sort_key__");
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(sql + where + order + " LIMIT ?", args));
  ListResult out;
  size_t n = std::min(r.size(), static_cast<size_t>(limit));
  for (size_t i = 0; i < n; ++i) out.items.push_back(RowToJson(e, r, i));
  if (r.size() > static_cast<size_t>(limit)) {
    const auto& last = r.rows[n - 1];
    const Value& sv = last[r.Column("sort_key__")];
    json lv;
    if (auto pi = std::get_if<int64_t>(&sv)) lv = *pi;
    else if (auto pd = std::get_if<double>(&sv)) lv = *pd;
    else if (auto ps = std::get_if<std::string>(&sv)) lv = *ps;
    json c = {sort_spec, lv, store::AsInt(last[0])};
    out.next_cursor = Base64UrlEncode(c.dump());
  }
  return out;
}

Result<json> RecordService::StageHistory(const Principal& p, int64_t opportunity_id) {
  const EntityDef& opps = *FindEntity("opportunities");
  KEEL_RETURN_IF_ERROR(Get(p, opps, opportunity_id).status());
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto rows, LoadStageHistory(*conn, p.tenant_id, opportunity_id));
  json items = json::array();
  for (const auto& row : rows) {
    items.push_back({{"id", row.id},
                     {"from_stage", row.from_stage ? json(*row.from_stage) : json(nullptr)},
                     {"to_stage", row.to_stage},
                     {"amount", row.amount ? json(*row.amount / 100.0) : json(nullptr)},
                     {"changed_at", row.changed_at},
                     {"actor_id", row.actor_id}});
  }
  return json{{"items", items}};
}

Result<ListResult> RecordService::AuditLog(const Principal& p, const QueryParams& params) {
  if (p.role != Role::kAdmin && p.role != Role::kAuditor) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "only admins and auditors read the audit log",
                         "只有管理员和审计员可以查看审计日志");
  }
  std::vector<AuditCondition> where;
  int limit = 50;
  for (const auto& [name, value] : params) {
    if (name == "entity") {
      if (Utf8Length(value) < 0 || value.size() > 64) {
        return BadParam(name, "entity must be an entity name", "entity 应为实体名称");
      }
      where.push_back({AuditCondition::Kind::kEntity, Value(value)});
    } else if (name == "entity_id" || name == "actor_id" || name == "before_id" || name == "after") {
      char* end = nullptr;
      long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end || v < 0) return BadParam(name, name + " must be an integer", name + " 应为整数");
      // after: the list contract's name (newest first, so the entries older than it); before_id: its old one.
      auto kind = name == "before_id" || name == "after" ? AuditCondition::Kind::kBeforeId
                  : name == "entity_id" ? AuditCondition::Kind::kEntityId
                                        : AuditCondition::Kind::kActorId;
      where.push_back({kind, Value(static_cast<int64_t>(v))});
    } else if (name == "limit") {
      char* end = nullptr;
      long v = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end || v < 1 || v > 500) {
        return BadParam(name, "limit must be an integer from 1 to 500", "limit 应为 1 到 500 的整数");
      }
      limit = static_cast<int>(v);
    } else {
      return BadParam(name, "unknown parameter '" + name + "'", "未知参数 '" + name + "'");
    }
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto rows, LoadAuditLog(*conn, p.tenant_id, where, limit + 1));
  ListResult out;
  size_t n = std::min(rows.size(), static_cast<size_t>(limit));
  auto parse = [](const std::optional<std::string>& text) {
    if (!text) return json(nullptr);
    auto j = json::parse(*text, nullptr, false);
    return j.is_discarded() ? json(nullptr) : j;
  };
  for (size_t i = 0; i < n; ++i) {
    const auto& row = rows[i];
    out.items.push_back({{"id", row.id}, {"at", row.at}, {"actor_id", row.actor_id}, {"action", row.action},
                         {"entity", row.entity}, {"entity_id", row.entity_id}, {"before", parse(row.before)},
                         {"after", parse(row.after)}, {"request_id", row.request_id ? json(*row.request_id) : json(nullptr)}});
  }
  if (rows.size() > static_cast<size_t>(limit)) out.next_cursor = std::to_string(rows[n - 1].id);
  return out;
}

}  // namespace keel::domain
