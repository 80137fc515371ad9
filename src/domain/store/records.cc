// Records of any entity: the SQL is built from the EntityDef (its table and columns), so rows
// are `ValueMap`s by column name rather than structs.
#include "domain/codec.h"
#include "domain/records.h"
#include "domain/store.h"
#include "domain/unit_tree.h"

namespace keel::domain {

using store::Value;
using json = nlohmann::json;

std::string SelectSql(const EntityDef& e) {
  std::string sql = "SELECT id, created_at, updated_at, archived_at, created_by";
  for (const auto& f : e.fields) {
    if (!f.hidden) sql += ", " + ColumnOf(f);
  }
  return sql + " FROM " + e.name;
}

json RowToJson(const EntityDef& e, const store::Rows& rows, size_t i) {
  store::Row r = rows.row(i);
  json out = json::object();
  out["id"] = r.Int("id");
  for (const auto& f : e.fields) {
    if (f.hidden) continue;
    out[f.name] = FromValue(f, r[ColumnOf(f)]);
  }
  out["created_at"] = r.Text("created_at");
  out["updated_at"] = r.Text("updated_at");
  out["archived_at"] = r.Null("archived_at") ? json(nullptr) : json(r.Text("archived_at"));
  out["created_by"] = r.Null("created_by") ? json(nullptr) : json(r.Int("created_by"));
  return out;
}

ValueMap RowToMap(const store::Rows& rows, size_t i) {
  ValueMap m;
  for (size_t c = 0; c < rows.columns.size(); ++c) m[rows.columns[c]] = rows.rows[i][c];
  return m;
}

std::string ScopeClause(const Principal& p, const EntityDef& e, std::vector<Value>& params) {
  if (SeesWholeTenant(p.role) || e.scope == Scope::kTenant || e.scope == Scope::kPublished) return {};
  if (e.scope == Scope::kShared) {
    // Tenant-wide (no unit), or a unit on the caller's own path (an ancestor or their unit), or
    // one in their subtree.
    return UnitTree::UnitOnLineOf("unit_id", p.tenant_id, p.unit_path, params);
  }
  if (e.scope == Scope::kUnit || p.role == Role::kUnitLead) {
    return UnitTree::UnitWithin("unit_id", p.tenant_id, p.unit_path, params);
  }
  if (p.role == Role::kSupervisor) {
    params.emplace_back(p.tenant_id);
    params.emplace_back(p.user_id);
    params.emplace_back(p.user_id);
    return " AND owner_id IN (SELECT id FROM users WHERE tenant_id = ? AND (id = ? OR "
           "supervisor_id = ?))";
  }
  params.emplace_back(p.user_id);
  return " AND owner_id = ?";
}

Result<store::Rows> LoadRecord(store::Connection& conn, const EntityDef& e, const Principal& p, int64_t id) {
  std::vector<Value> params = {p.tenant_id, id};
  std::string sql = SelectSql(e) + " WHERE tenant_id = ? AND id = ?" + ScopeClause(p, e, params);
  return conn.Query(sql, params);
}

Result<std::optional<ValueMap>> LoadColumns(store::Connection& conn, const std::string& table,
                                            const std::string& columns, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT " + columns + " FROM " + table + " WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<ValueMap>();
  return std::optional<ValueMap>(RowToMap(rows, 0));
}

Result<bool> LiveRecordExists(store::Connection& conn, const std::string& table, int64_t tenant, int64_t id,
                              const std::string& scope, const std::vector<Value>& scope_params) {
  std::vector<Value> params = {tenant, id};
  params.insert(params.end(), scope_params.begin(), scope_params.end());
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT 1 FROM " + table + " WHERE tenant_id = ? AND id = ? AND archived_at IS NULL" + scope, params));
  return !rows.empty();
}

Result<std::optional<int64_t>> FindOtherWithValue(store::Connection& conn, const std::string& table,
                                                  const std::string& column, int64_t tenant, const Value& value,
                                                  int64_t self_id) {
  Value q[] = {tenant, value, self_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id FROM " + table + " WHERE tenant_id = ? AND " + column + " = ? AND id <> ?", q));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(rows.row(0).Int("id"));
}

Status InsertRecord(store::Connection& conn, const EntityDef& e, int64_t tenant, int64_t id, const ValueMap& v) {
  std::string cols = "tenant_id, id, created_at, updated_at, created_by";
  std::string marks = "?, ?, ?, ?, ?";
  std::vector<Value> params = {tenant, id, v.at("created_at"), v.at("updated_at"), v.at("created_by")};
  for (const auto& f : e.fields) {
    cols += ", " + ColumnOf(f);
    marks += ", ?";
    auto it = v.find(f.name);
    params.push_back(it == v.end() ? Value() : it->second);
  }
  return conn.Exec("INSERT INTO " + e.name + " (" + cols + ") VALUES (" + marks + ")", params).status();
}

Status InsertChildren(store::Connection& conn, const ChildDef& c, int64_t tenant, int64_t parent,
                      const std::vector<ValueMap>& rows) {
  std::string cols = "tenant_id, " + c.parent_key + ", line_no";
  std::string marks = "?, ?, ?";
  for (const auto& f : c.fields) {
    cols += ", " + f.name;
    marks += ", ?";
  }
  std::string sql = "INSERT INTO " + c.table + " (" + cols + ") VALUES (" + marks + ")";
  for (const auto& row : rows) {
    std::vector<Value> params = {tenant, parent, row.at("line_no")};
    for (const auto& f : c.fields) {
      auto it = row.find(f.name);
      params.push_back(it == row.end() ? Value() : it->second);
    }
    KEEL_RETURN_IF_ERROR(conn.Exec(sql, params).status());
  }
  return Status();
}

Result<std::vector<ValueMap>> LoadChildren(store::Connection& conn, const ChildDef& c, int64_t tenant, int64_t parent) {
  std::string sql = "SELECT line_no";
  for (const auto& f : c.fields) sql += ", " + f.name;
  sql += " FROM " + c.table + " WHERE tenant_id = ? AND " + c.parent_key + " = ? ORDER BY line_no";
  Value q[] = {tenant, parent};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql, q));
  std::vector<ValueMap> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(RowToMap(rows, i));
  return out;
}

Status UpdateRecord(store::Connection& conn, const EntityDef& e, int64_t tenant, int64_t id,
                    const std::vector<std::string>& changed, const ValueMap& after, const std::string& now) {
  std::string set = "updated_at = ?";
  std::vector<Value> params = {now};
  for (const auto& name : changed) {
    set += ", " + ColumnOf(*e.Field(name)) + " = ?";
    params.push_back(after.at(name));
  }
  params.push_back(tenant);
  params.push_back(id);
  return conn.Exec("UPDATE " + e.name + " SET " + set + " WHERE tenant_id = ? AND id = ?", params).status();
}

Status ArchiveRecord(store::Connection& conn, const std::string& table, int64_t tenant, int64_t id, const std::string& now) {
  Value q[] = {now, now, tenant, id};
  return conn.Exec("UPDATE " + table + " SET archived_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ?", q).status();
}

}  // namespace keel::domain
