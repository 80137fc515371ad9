#include "domain/records.h"
#include "domain/unit_tree.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "domain/records_internal.h"

namespace keel::domain {

using store::Value;
using ValueMap = std::map<std::string, Value>;

namespace {

Status Forbidden(const std::string& en, const std::string& zh) {
  return Status::Error(ErrorKind::kForbidden, "forbidden", en, zh);
}
Status Conflict(std::string code, std::string en, std::string zh, std::string field = {}) {
  return Status::Error(ErrorKind::kConflict, std::move(code), std::move(en), std::move(zh),
                       std::move(field));
}
Status Required(const std::string& field) {
  return Status::Invalid("validation.required", field + " is required", field + " 为必填项", field);
}
bool Null(const ValueMap& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() || store::IsNull(it->second);
}
std::string Text(const ValueMap& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? std::string() : store::AsText(it->second);
}
int64_t Int(const ValueMap& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : store::AsInt(it->second);
}
int StageIndex(const std::string& s) {
  auto it = std::find(kOpportunityStages.begin(), kOpportunityStages.end(), s);
  return static_cast<int>(it - kOpportunityStages.begin());
}
bool IsOpenStage(const std::string& s) { return StageIndex(s) <= 3; }
constexpr int64_t kMaxMoney = 100000000000000LL;  // 1e12 yuan in fen: sums of lines stay far from overflow
int UnitRank(const std::string& kind) {
  if (kind == "hq") return 0;
  if (kind == "region") return 1;
  if (kind == "unit") return 2;
  return 3;
}

// Looks up one row of `table` in the tenant; returns empty Rows when absent.
Result<store::Rows> Fetch(store::Connection& conn, const std::string& columns,
                          const std::string& table, int64_t tenant_id, int64_t id) {
  Value p[] = {tenant_id, id};
  return conn.Query("SELECT " + columns + " FROM " + table + " WHERE tenant_id = ? AND id = ?", p);
}

ValueMap RowToMap(const EntityDef& e, const store::Rows& r, size_t i) {
  ValueMap m;
  for (size_t c = 0; c < r.columns.size(); ++c) m[r.columns[c]] = r.rows[i][c];
  (void)e;
  return m;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Shared helpers (also used by listing.cc)

Result<TenantInfo> LoadTenant(store::Connection& conn, int64_t tenant_id) {
  Value p[] = {tenant_id};
  KEEL_ASSIGN_OR_RETURN(
      store::Rows r, conn.Query("SELECT id, code, name, time_zone, currency, locale, status "
                                "FROM tenants WHERE id = ?", p));
  if (r.empty()) return Status::NotFound("tenant");
  TenantInfo t;
  t.id = store::AsInt(r.rows[0][0]);
  t.code = store::AsText(r.rows[0][1]);
  t.name = store::AsText(r.rows[0][2]);
  t.time_zone = store::AsText(r.rows[0][3]);
  t.currency = store::AsText(r.rows[0][4]);
  t.locale = store::AsText(r.rows[0][5]);
  t.status = store::AsText(r.rows[0][6]);
  return t;
}

std::string SelectSql(const EntityDef& e) {
  std::string sql = "SELECT id, created_at, updated_at, archived_at, created_by";
  for (const auto& f : e.fields) {
    if (!f.hidden) sql += ", " + ColumnOf(f);
  }
  return sql + " FROM " + e.name;
}

json RowToJson(const EntityDef& e, const store::Rows& r, size_t i) {
  const auto& row = r.rows[i];
  json out = json::object();
  out["id"] = store::AsInt(row[0]);
  size_t c = 5;
  for (const auto& f : e.fields) {
    if (f.hidden) continue;
    out[f.name] = FromValue(f, row[c++]);
  }
  out["created_at"] = store::AsText(row[1]);
  out["updated_at"] = store::AsText(row[2]);
  out["archived_at"] = store::IsNull(row[3]) ? json(nullptr) : json(store::AsText(row[3]));
  out["created_by"] = store::IsNull(row[4]) ? json(nullptr) : json(store::AsInt(row[4]));
  return out;
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

// ---------------------------------------------------------------------------------------------
// Rules the generic engine cannot know: one function per entity.

struct RecordRules {
  using Ctx = RecordService::Ctx;

  // Queues an event of this write; it is appended in the same transaction by Finish().
  static void Emit(Ctx& ctx, std::string type, std::string entity, int64_t id, const json& payload) {
    events::Event ev;
    ev.at = ctx.now;
    ev.type = std::move(type);
    ev.entity = std::move(entity);
    ev.entity_id = id;
    ev.actor_id = ctx.p.user_id;
    ev.payload = payload.dump(-1, ' ', false, json::error_handler_t::replace);
    ctx.events.push_back(std::move(ev));
  }

  // Validates the record's `custom` object against the tenant's definitions: on create
  // (`before` null) the whole object, on update the patch merged into the stored object.
  static Status Custom(Ctx& ctx, const EntityDef& e, const ValueMap* before, ValueMap& v) {
    if (!e.Field("custom")) return Status();
    auto defs = ctx.custom_defs.find(e.name);
    if (defs == ctx.custom_defs.end()) {
      KEEL_ASSIGN_OR_RETURN(auto loaded, LoadCustomFields(ctx.conn, ctx.p.tenant_id, e.name));
      defs = ctx.custom_defs.emplace(e.name, std::move(loaded)).first;
    }
    json patch, prev = json::object();
    if (!Null(v, "custom")) patch = json::parse(Text(v, "custom"), nullptr, false);
    if (before && !Null(*before, "custom")) {
      prev = json::parse(Text(*before, "custom"), nullptr, false);
      if (!prev.is_object()) prev = json::object();
    }
    KEEL_ASSIGN_OR_RETURN(json out, ApplyCustom(defs->second, prev, patch.is_object() ? &patch : nullptr, before == nullptr));
    v["custom"] = out.dump();
    return Status();
  }

  // A custom field definition: name and options checked for its type, one name per entity.
  static Status CustomFieldDefinition(Ctx& ctx, int64_t id, ValueMap& v, bool creating) {
    json options = Null(v, "options") ? json(nullptr) : json::parse(Text(v, "options"), nullptr, false);
    KEEL_ASSIGN_OR_RETURN(json normalised, CheckCustomFieldDef(Text(v, "name"), Text(v, "type"), options));
    v["options"] = normalised.dump();
    if (!creating) return Status();
    Value p[] = {ctx.p.tenant_id, Text(v, "entity"), Text(v, "name"), id};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, ctx.conn.Query(
        "SELECT id, archived_at FROM custom_fields WHERE tenant_id = ? AND entity = ? AND name = ? AND id <> ?", p));
    if (!r.empty()) {
      bool archived = !store::IsNull(r.rows[0][1]);
      return Conflict("conflict.duplicate",
                      Text(v, "entity") + " already has a custom field '" + Text(v, "name") + "' (" +
                          store::AsText(r.rows[0][0]) + (archived ? ", archived" : "") + ")",
                      Text(v, "entity") + " 已有自定义字段 '" + Text(v, "name") + "'（" +
                          store::AsText(r.rows[0][0]) + (archived ? "，已归档" : "") + "）",
                      "name");
    }
    Value q[] = {ctx.p.tenant_id, Text(v, "entity")};
    KEEL_ASSIGN_OR_RETURN(store::Rows n, ctx.conn.Query(
        "SELECT COUNT(*) FROM custom_fields WHERE tenant_id = ? AND entity = ? AND archived_at IS NULL", q));
    if (static_cast<size_t>(store::AsInt(n.rows[0][0])) >= kMaxCustomFieldsPerEntity) {
      return Conflict("custom_field.limit",
                      Text(v, "entity") + " already has " + std::to_string(kMaxCustomFieldsPerEntity) + " custom fields",
                      Text(v, "entity") + " 的自定义字段已达 " + std::to_string(kMaxCustomFieldsPerEntity) + " 个上限",
                      "entity");
    }
    return Status();
  }

  // Tags as one comma-separated list: "空调，2026、 价格" → "空调,2026,价格" (trimmed, no repeats).
  static void NormaliseTags(ValueMap& v) {
    if (Null(v, "tags")) return;
    std::string text = Text(v, "tags"), out;
    for (const char* sep : {"，", "、", "；", ";"}) {
      for (size_t at; (at = text.find(sep)) != std::string::npos;) text.replace(at, std::strlen(sep), ",");
    }
    std::set<std::string> seen;
    size_t start = 0;
    while (start <= text.size()) {
      size_t comma = std::min(text.find(',', start), text.size());
      std::string tag = text.substr(start, comma - start);
      size_t b = tag.find_first_not_of(" \t"), e = tag.find_last_not_of(" \t");
      tag = b == std::string::npos ? "" : tag.substr(b, e - b + 1);
      if (!tag.empty() && seen.insert(tag).second) out += (out.empty() ? "" : ",") + tag;
      start = comma + 1;
    }
    v["tags"] = out.empty() ? Value() : Value(out);
  }

  static Status CheckScope(Ctx& ctx, const EntityDef& e, const ValueMap& v) {
    const Principal& p = ctx.p;
    if (SeesWholeTenant(p.role) || e.scope == Scope::kTenant) return Status();
    if (e.scope == Scope::kShared && Null(v, "unit_id")) {
      return Forbidden("only HQ writes " + e.name + " shared with the whole tenant; give your unit_id",
                       "只有总部可以维护全员共享的" + e.zh + "；请指定您的单元 unit_id");
    }
    if (e.name == "views" && p.role != Role::kUnitLead && Int(v, "owner_id") != p.user_id) {
      return Forbidden("only its owner (or a unit lead or HQ above it) changes a saved view",
                       "只有保存人（或上级单元负责人、总部）可以修改该视图");
    }
    if (e.scope == Scope::kOwned && p.role == Role::kRep && Int(v, "owner_id") != p.user_id) {
      return Forbidden("a rep may only write records they own", "销售代表只能操作自己负责的记录");
    }
    if (e.scope == Scope::kOwned && p.role == Role::kSupervisor) {
      Value q[] = {p.tenant_id, Int(v, "owner_id")};
      KEEL_ASSIGN_OR_RETURN(store::Rows r, ctx.conn.Query(
          "SELECT supervisor_id FROM users WHERE tenant_id = ? AND id = ?", q));
      int64_t owner = Int(v, "owner_id");
      if (owner != p.user_id && (r.empty() || store::AsInt(r.rows[0][0]) != p.user_id)) {
        return Forbidden("a supervisor may only write records owned by their team",
                         "主管只能操作本团队负责的记录");
      }
      // …and the record must stay inside the supervisor's part of the tree (checked below).
    }
    if (e.scope == Scope::kOwned && p.role == Role::kUnitLead && !Null(v, "owner_id") && Int(v, "owner_id") != p.user_id) {
      // A unit lead assigns records only to people of their own part of the tree.
      Value q[] = {p.tenant_id, p.tenant_id, Int(v, "owner_id")};
      KEEL_ASSIGN_OR_RETURN(store::Rows r, ctx.conn.Query(
          "SELECT n.path FROM units n WHERE n.tenant_id = ? AND n.id = (SELECT unit_id FROM users WHERE tenant_id = ? AND id = ?)", q));
      if (r.empty() || store::AsText(r.rows[0][0]).rfind(p.unit_path, 0) != 0) {
        return Status::Error(ErrorKind::kForbidden, "forbidden", "the record's owner is outside your part of the organisation",
                             "该记录的负责人不在您的管辖范围内", "owner_id");
      }
    }
    // Unit leads (and unit-scoped records for the others): the unit must be in the subtree.
    KEEL_ASSIGN_OR_RETURN(store::Rows r,
                          Fetch(ctx.conn, "path", "units", p.tenant_id, Int(v, "unit_id")));
    if (r.empty() || store::AsText(r.rows[0][0]).rfind(p.unit_path, 0) != 0) {
      return Forbidden("the record's unit is outside your part of the organisation",
                       "该记录所属单元不在您的管辖范围内");
    }
    return Status();
  }

  static Status CheckRef(Ctx& ctx, const FieldDef& f, int64_t id) {
    if (ctx.refs_ok.count({f.ref, id})) return Status();
    const EntityDef* target = FindEntity(f.ref);
    std::vector<Value> params = {ctx.p.tenant_id, id};
    std::string sql = "SELECT 1 FROM " + f.ref + " WHERE tenant_id = ? AND id = ? AND "
                      "archived_at IS NULL";
    if (target && target->scope != Scope::kTenant) sql += ScopeClause(ctx.p, *target, params);
    KEEL_ASSIGN_OR_RETURN(store::Rows r, ctx.conn.Query(sql, params));
    if (r.empty()) {
      std::string what = target ? target->en : f.ref;
      std::string zh = target ? target->zh : f.ref;
      return Status::Invalid("validation.reference",
                             f.name + ": no " + what + " " + std::to_string(id) +
                                 " that you can see in this tenant",
                             f.name + "：本租户中不存在您可见的" + zh + " " + std::to_string(id),
                             f.name);
    }
    ctx.refs_ok.insert({f.ref, id});
    return Status();
  }

  static Status CheckUnique(Ctx& ctx, const EntityDef& e, const FieldDef& f, const Value& v,
                            int64_t self_id) {
    if (store::IsNull(v)) return Status();
    Value p[] = {ctx.p.tenant_id, v, self_id};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, ctx.conn.Query(
        "SELECT id FROM " + e.name + " WHERE tenant_id = ? AND " + f.name + " = ? AND id <> ?", p));
    if (!r.empty()) {
      return Conflict("conflict.duplicate",
                      f.name + " '" + store::AsText(v) + "' is already used by " + e.en + " " +
                          store::AsText(r.rows[0][0]),
                      f.name + " '" + store::AsText(v) + "' 已被" + e.zh + " " +
                          store::AsText(r.rows[0][0]) + " 使用",
                      f.name);
    }
    return Status();
  }

  // Fills owner_id/unit_id of owned records and unit_id of unit records.
  static Status DefaultOwnership(Ctx& ctx, const EntityDef& e, ValueMap& v) {
    if (e.scope != Scope::kOwned) return Status();
    if (e.name == "contacts" && !Null(v, "customer_id") && (Null(v, "owner_id") || Null(v, "unit_id"))) {
      KEEL_ASSIGN_OR_RETURN(store::Rows r, Fetch(ctx.conn, "owner_id, unit_id", "customers",
                                                 ctx.p.tenant_id, Int(v, "customer_id")));
      if (!r.empty()) {
        if (Null(v, "owner_id")) v["owner_id"] = r.rows[0][0];
        if (Null(v, "unit_id")) v["unit_id"] = r.rows[0][1];
      }
    }
    if (Null(v, "owner_id")) {
      if (ctx.p.is_system()) return Required("owner_id");
      v["owner_id"] = ctx.p.user_id;
    }
    if (Null(v, "unit_id") && e.name == "orders" && !Null(v, "store_id")) {
      KEEL_ASSIGN_OR_RETURN(store::Rows r, Fetch(ctx.conn, "unit_id", "stores", ctx.p.tenant_id,
                                                 Int(v, "store_id")));
      if (!r.empty()) v["unit_id"] = r.rows[0][0];
    }
    if (Null(v, "unit_id")) {
      KEEL_ASSIGN_OR_RETURN(store::Rows r, Fetch(ctx.conn, "unit_id", "users", ctx.p.tenant_id,
                                                 Int(v, "owner_id")));
      if (r.empty()) {
        return Status::Invalid("validation.reference", "owner_id: no such user",
                               "owner_id：用户不存在", "owner_id");
      }
      v["unit_id"] = r.rows[0][0];
    }
    return Status();
  }

  static Status PrepareCreate(Ctx& ctx, const EntityDef& e, int64_t id, ValueMap& v,
                              std::vector<ValueMap>& children) {
    const std::string& n = e.name;
    if (n == "units") return UnitPath(ctx, id, v, /*creating=*/true);
    if (n == "custom_fields") return CustomFieldDefinition(ctx, id, v, true);
    if (n == "leads") {
      std::string s = Text(v, "status");
      if (s == "converted") {
        return Status::Error(ErrorKind::kUnprocessable, "lead.use_convert",
                             "a lead becomes converted through POST /api/v1/leads/{id}/convert",
                             "线索须通过转化接口 POST /api/v1/leads/{id}/convert 转化", "status");
      }
      if (s == "disqualified" && Null(v, "disqualify_reason")) return Required("disqualify_reason");
      if (s != "new" && Null(v, "first_response_at")) v["first_response_at"] = ctx.now_text;
    }
    if (n == "opportunities") {
      if (Null(v, "currency")) v["currency"] = ctx.tenant.currency;
      std::string stage = Text(v, "stage");
      if (!IsOpenStage(stage) && !ctx.p.is_system()) {
        return Status::Error(ErrorKind::kUnprocessable, "opportunity.create_closed",
                             "a new opportunity starts in an open stage",
                             "新建商机必须处于未结阶段", "stage");
      }
      if (stage == "lost" && Null(v, "loss_reason")) return Required("loss_reason");
      v["outcome"] = IsOpenStage(stage) ? std::string("open") : stage;
      if (!IsOpenStage(stage)) v["closed_at"] = ctx.now_text;
    }
    if (n == "products" && Null(v, "currency")) v["currency"] = ctx.tenant.currency;
    if (n == "members" && Null(v, "unit_id")) {
      auto r = !Null(v, "store_id")
                   ? Fetch(ctx.conn, "unit_id", "stores", ctx.p.tenant_id, Int(v, "store_id"))
                   : Fetch(ctx.conn, "unit_id", "customers", ctx.p.tenant_id, Int(v, "customer_id"));
      if (!r.ok()) return r.status();
      if (!r->empty()) v["unit_id"] = r->rows[0][0];
    }
    if (n == "members" && Null(v, "points")) v["points"] = int64_t{0};
    if (n == "materials" || n == "case_reviews") NormaliseTags(v);
    if (n == "views") {
      if (Null(v, "owner_id") && !ctx.p.is_system()) v["owner_id"] = ctx.p.user_id;
      if (Null(v, "unit_id") && ctx.p.unit_id != 0) v["unit_id"] = ctx.p.unit_id;
    }
    if (n == "case_reviews") {
      if (Null(v, "unit_id") && ctx.p.unit_id != 0) v["unit_id"] = ctx.p.unit_id;
      if (Null(v, "unit_id")) return Required("unit_id");
      if (Null(v, "author_id") && !ctx.p.is_system()) v["author_id"] = ctx.p.user_id;
    }
    if (n == "feedback" && !Null(v, "link_id") && !ctx.p.is_system()) {
      return Status::Invalid("validation.read_only", "link_id is set by the public feedback link only",
                             "link_id 仅由公开反馈链接填写", "link_id");
    }
    // At least one field of each group (EntityDef::needs_one_of; the OpenAPI schema's anyOf).
    for (const auto& group : e.needs_one_of) {
      if (std::all_of(group.begin(), group.end(), [&](const std::string& f) { return Null(v, f); })) {
        std::string en, zh;
        for (const auto& f : group) {
          en += (en.empty() ? "" : " or ") + f;
          zh += (zh.empty() ? "" : " 或 ") + f;
        }
        return Status::Invalid("validation.required", "a " + e.en + " needs " + en, e.zh + "至少需要 " + zh, group.back());
      }
    }
    if (n == "feedback") {
      if (Null(v, "submitted_at")) v["submitted_at"] = ctx.now_text;
      if (Null(v, "unit_id")) {
        auto r = !Null(v, "store_id")      ? Fetch(ctx.conn, "unit_id", "stores", ctx.p.tenant_id, Int(v, "store_id"))
                 : !Null(v, "customer_id") ? Fetch(ctx.conn, "unit_id", "customers", ctx.p.tenant_id, Int(v, "customer_id"))
                                           : Result<store::Rows>(store::Rows());
        if (!r.ok()) return r.status();
        if (!r->empty() && !store::IsNull(r->rows[0][0])) v["unit_id"] = r->rows[0][0];
      }
    }
    if (n == "activities") {
      auto t = ParseTimestamp(Text(v, "occurred_at"));
      if (t.ok() && *t > ctx.now + 86400000LL) {
        return Status::Invalid("validation.future", "occurred_at is more than a day in the future",
                               "occurred_at 晚于当前时间超过一天", "occurred_at");
      }
    }
    if (n == "orders") return OrderTotals(ctx, v, children);
    if (n == "contracts") {
      if (!ctx.p.is_system() && Text(v, "status") != "draft") {
        return Status::Error(ErrorKind::kUnprocessable, "contract.create_draft", "a new contract starts as a draft",
                             "新合同须为草稿", "status");
      }
      if (Null(v, "currency")) v["currency"] = ctx.tenant.currency;
      if (Text(v, "end_date") < Text(v, "start_date")) {
        return Status::Invalid("validation.range", "end_date is before start_date", "结束日期早于开始日期", "end_date");
      }
    }
    if (n == "quotes") {
      if (!ctx.p.is_system() && Text(v, "status") != "draft") {
        return Status::Error(ErrorKind::kUnprocessable, "quote.create_draft", "a new quote starts as a draft; submit it for approval",
                             "新报价单须为草稿，再提交审批", "status");
      }
      return QuoteTotals(ctx, v, children);
    }
    if (n == "expenses") {
      if (!ctx.p.is_system() && Text(v, "status") != "draft") {
        return Status::Error(ErrorKind::kUnprocessable, "expense.create_draft", "a new expense claim starts as a draft; submit it",
                             "新报销单须为草稿，再提交", "status");
      }
      if (!Null(v, "trip_start") && !Null(v, "trip_end") && Text(v, "trip_end") < Text(v, "trip_start")) {
        return Status::Invalid("validation.range", "trip_end is before trip_start", "出差结束日期早于开始日期", "trip_end");
      }
      return ExpenseTotals(v, children);
    }
    if ((n == "budget_transfers" || n == "price_changes") && !ctx.p.is_system() && Text(v, "status") != "draft") {
      return Status::Error(ErrorKind::kUnprocessable, "change.create_draft", "a new request starts as a draft; approval decides the rest",
                           "新申请须为草稿，其余由审批决定", "status");
    }
    if (n == "budget_transfers") return TransferBudgets(ctx, v);
    if (n == "price_changes") {
      // Checked here, before the generic reference check, so a product of another tenant is a 400 like any other reference.
      KEEL_RETURN_IF_ERROR(CheckRef(ctx, *e.Field("product_id"), Int(v, "product_id")));
      KEEL_ASSIGN_OR_RETURN(store::Rows r, Fetch(ctx.conn, "price", "products", ctx.p.tenant_id, Int(v, "product_id")));
      if (r.empty()) return Status::NotFound("product", "product_id");
      int64_t old_price = store::AsInt(r.rows[0][0]), new_price = Int(v, "new_price");
      if (new_price <= 0) return Status::Invalid("validation.range", "new_price must be more than 0", "新标价须大于 0", "new_price");
      if (new_price == old_price) {
        return Status::Invalid("price_change.same", "new_price is the current price", "新标价与当前标价相同", "new_price");
      }
      v["old_price"] = old_price;
      v["change_pct"] = old_price > 0 ? std::round(10000.0 * static_cast<double>(new_price - old_price) / static_cast<double>(old_price)) / 100.0 : 0.0;
    }
    if (n == "targets") return TargetPeriod(ctx, v, id);
    if (n == "tasks" && Text(v, "status") == "done") v["completed_at"] = ctx.now_text;
    if (n == "users" && Null(v, "password")) v["password"] = Value();
    return Status();
  }

  static Status AfterCreate(Ctx& ctx, const EntityDef& e, int64_t id, const ValueMap& v) {
    if (e.name == "opportunities") {
      return StageHistory(ctx, id, Value(), Text(v, "stage"), v.at("amount"));
    }
    if (e.name == "activities" && !Null(v, "lead_id")) {
      return TouchLead(ctx, Int(v, "lead_id"), std::min(Text(v, "occurred_at"), ctx.now_text));
    }
    return Status();
  }

  // Validates an update of `before` into `after` (both full maps of the record).
  static Status PrepareUpdate(Ctx& ctx, const EntityDef& e, int64_t id, const ValueMap& before,
                              ValueMap& after) {
    const std::string& n = e.name;
    if (n == "units" && Text(before, "parent_id") != Text(after, "parent_id")) {
      return UnitPath(ctx, id, after, /*creating=*/false);
    }
    if (n == "units" && Text(before, "kind") != Text(after, "kind")) {
      return UnitPath(ctx, id, after, false);
    }
    if (n == "users") {
      if (Int(after, "supervisor_id") == id) {
        return Status::Invalid("validation.self_reference", "a user cannot supervise themselves",
                               "用户不能成为自己的主管", "supervisor_id");
      }
      bool disabled = Text(after, "status") == "disabled" && Text(before, "status") != "disabled";
      bool new_password = after.count("password") && !store::IsNull(after.at("password"));
      if (disabled || new_password) return RevokeSessions(ctx, id);
    }
    if (n == "leads") return LeadStatus(ctx, before, after);
    if ((n == "materials" || n == "case_reviews") && Text(before, "tags") != Text(after, "tags")) NormaliseTags(after);
    if (n == "custom_fields" && Text(before, "options") != Text(after, "options")) {
      return CustomFieldDefinition(ctx, id, after, false);
    }
    if (n == "opportunities") return StageMove(ctx, id, before, after);
    if (n == "contracts") {
      std::string from = Text(before, "status"), to = Text(after, "status");
      // Approval decides approved/rejected and the clock active/expiring/expired (the system);
      // sellers sign an approved contract (with legal review), terminate a running one, or take a
      // rejected one back to draft.
      static const std::set<std::pair<std::string, std::string>> kSeller = {
          {"approved", "signed"}, {"rejected", "draft"}, {"signed", "terminated"}, {"active", "terminated"}, {"expiring", "terminated"}};
      if (from != to && !ctx.p.is_system()) {
        if (!kSeller.count({from, to})) {
          return Conflict("contract.status", "a contract cannot go from " + from + " to " + to + " by hand",
                          "合同不能手动从 " + from + " 改为 " + to, "status");
        }
        if (to == "signed" && !ctx.checked) {
          return Conflict("contract.sign", "a contract is signed through POST /api/v1/contracts/{id}/sign (compliance checks first)",
                          "合同须通过签署接口 POST /api/v1/contracts/{id}/sign 签署（先做合规检查）", "status");
        }
        if (to == "signed" && store::AsInt(after.count("legal_reviewed") ? after.at("legal_reviewed") : Value(int64_t{0})) == 0) {
          return Status::Error(ErrorKind::kUnprocessable, "contract.legal_review", "a contract is signed only after legal review",
                               "合同须经法务审核后方可签署", "legal_reviewed");
        }
      }
      if (from != to && to == "signed") after["signed_at"] = ctx.now_text;
      // What was approved is what is signed: the terms change only in draft (or after a rejection).
      if (!ctx.p.is_system() && from != "draft" && from != "rejected") {
        for (const char* f : {"amount", "start_date", "end_date", "quote_id", "currency"}) {
          if (Text(before, f) != Text(after, f)) {
            return Conflict("contract.locked", std::string(f) + " cannot change once the contract went to approval",
                            std::string(f) + " 在合同提交审批后不能修改", f);
          }
        }
      }
      if (from == "pending_approval" && !ctx.p.is_system()) {
        return Conflict("contract.locked", "the contract is waiting for approval", "合同正在审批中", "status");
      }
      if (Text(after, "end_date") < Text(after, "start_date")) {
        return Status::Invalid("validation.range", "end_date is before start_date", "结束日期早于开始日期", "end_date");
      }
    }
    if (n == "quotes") {
      std::string from = Text(before, "status"), to = Text(after, "status");
      // Approval decides pending_approval → approved/rejected (the system principal); sellers move
      // an approved quote on to the customer and record the answer.
      static const std::set<std::pair<std::string, std::string>> kSeller = {
          {"approved", "sent"}, {"sent", "accepted"}, {"sent", "declined"}, {"rejected", "draft"}};
      if (from != to && !ctx.p.is_system() && !kSeller.count({from, to})) {
        return Conflict("quote.status",
                        "a quote cannot go from " + from + " to " + to + (to == "approved" || to == "pending_approval"
                                                                              ? " by hand; submit it (POST /quotes/{id}/submit)"
                                                                              : ""),
                        "报价单不能从 " + from + " 改为 " + to + (to == "approved" || to == "pending_approval" ? "；请提交审批" : ""),
                        "status");
      }
      if (from == "pending_approval" && !ctx.p.is_system()) {
        return Conflict("quote.locked", "the quote is waiting for approval; recall the request to change it",
                        "报价单正在审批中；如需修改请先撤回审批", "status");
      }
    }
    if ((n == "budget_transfers" || n == "price_changes") && Text(before, "status") != Text(after, "status") && !ctx.p.is_system()) {
      return Conflict("change.status", "the status of a request is decided by its approval", "申请的状态由审批决定", "status");
    }
    if (n == "budget_transfers" && Text(after, "status") == "executed" && Text(before, "status") != "executed") after["executed_at"] = ctx.now_text;
    if (n == "price_changes" && Text(after, "status") == "applied" && Text(before, "status") != "applied") after["applied_at"] = ctx.now_text;
    if (n == "expenses" && Text(before, "status") != "posted" && Text(after, "status") == "posted") after["posted_at"] = ctx.now_text;
    if (n == "expenses" && !ctx.p.is_system()) {
      std::string from = Text(before, "status"), to = Text(after, "status");
      // Submission, approval and posting move a claim (the system); its owner takes a rejected
      // claim back to draft. What was submitted is what is approved and posted.
      if (from != to && !(from == "rejected" && to == "draft")) {
        return Conflict("expense.status",
                        "an expense claim cannot go from " + from + " to " + to + " by hand" +
                            (to == "pending_approval" || to == "approved" ? "; submit it (POST /expenses/{id}/submit)" : ""),
                        "报销单不能手动从 " + from + " 改为 " + to, "status");
      }
      if (from != "draft" && from != "rejected") {
        return Conflict("expense.locked", "the claim is " + from + " and can no longer change", "报销单状态为 " + from + "，不能再修改", "status");
      }
      if (!Null(after, "trip_start") && !Null(after, "trip_end") && Text(after, "trip_end") < Text(after, "trip_start")) {
        return Status::Invalid("validation.range", "trip_end is before trip_start", "出差结束日期早于开始日期", "trip_end");
      }
    }
    if (n == "orders") {
      std::string from = Text(before, "status"), to = Text(after, "status");
      if (from != to && from != "paid") {
        return Conflict("order.status", "a " + from + " order cannot change status",
                        "状态为 " + from + " 的订单不能再更改状态", "status");
      }
      if (from != to && !CanRefund(ctx.p)) {
        return Forbidden("only a supervisor, unit lead or HQ may refund or cancel an order", "只有主管、战队负责人或总部可以退款或取消订单");
      }
    }
    if (n == "tasks") {
      std::string from = Text(before, "status"), to = Text(after, "status");
      if (to == "done" && from != "done") after["completed_at"] = ctx.now_text;
      if (to != "done") after["completed_at"] = Value();
    }
    if (n == "targets") return TargetPeriod(ctx, after, id);
    return Status();
  }

  static Status UnitPath(Ctx& ctx, int64_t id, ValueMap& v, bool creating) {
    std::string kind = Text(v, "kind");
    if (kind == "hq") {
      if (!Null(v, "parent_id")) {
        return Status::Invalid("unit.hq_parent", "the HQ unit has no parent", "总部单元不能有上级",
                               "parent_id");
      }
      Value q[] = {ctx.p.tenant_id, id};
      KEEL_ASSIGN_OR_RETURN(store::Rows r, ctx.conn.Query(
          "SELECT id FROM units WHERE tenant_id = ? AND kind = 'hq' AND id <> ?", q));
      if (!r.empty()) {
        return Conflict("unit.second_hq", "the tenant already has an HQ unit", "租户已有总部单元",
                        "kind");
      }
      v["path"] = "/" + std::to_string(id) + "/";
    } else {
      if (Null(v, "parent_id")) return Required("parent_id");
      KEEL_ASSIGN_OR_RETURN(store::Rows r, Fetch(ctx.conn, "path, kind", "units", ctx.p.tenant_id,
                                                 Int(v, "parent_id")));
      if (r.empty()) return Status::NotFound("parent unit", "parent_id");
      std::string parent_path = store::AsText(r.rows[0][0]);
      if (UnitRank(store::AsText(r.rows[0][1])) >= UnitRank(kind)) {
        return Status::Invalid("unit.hierarchy",
                               "a " + kind + " must sit under a higher level (hq ▸ region ▸ unit ▸ store)",
                               "层级不正确：" + kind + " 必须挂在更高层级之下（总部 ▸ 大区 ▸ 战队 ▸ 门店）",
                               "parent_id");
      }
      std::string own = "/" + std::to_string(id) + "/";
      if (parent_path.find(own) != std::string::npos) {
        return Status::Invalid("unit.cycle", "a unit cannot move under its own subtree",
                               "单元不能移到自己的下级之下", "parent_id");
      }
      v["path"] = parent_path + std::to_string(id) + "/";
    }
    if (!creating) {
      // Re-root the descendants: replace the old prefix with the new one.
      KEEL_ASSIGN_OR_RETURN(store::Rows r, Fetch(ctx.conn, "path", "units", ctx.p.tenant_id, id));
      std::string old_path = store::AsText(r.rows[0][0]);
      std::string new_path = Text(v, "path");
      if (old_path != new_path) {
        Value q[] = {new_path, static_cast<int64_t>(old_path.size() + 1), ctx.now_text,
                     ctx.p.tenant_id, UnitTree::SubtreePattern(old_path), id};
        KEEL_ASSIGN_OR_RETURN(int64_t moved, ctx.conn.Exec(
            "UPDATE units SET path = ? || SUBSTR(path, ?), updated_at = ? WHERE tenant_id = ? AND "
            "path LIKE ? AND id <> ?", q));
        Emit(ctx, "unit.subtree_moved", "units", id,
             {{"old_path", old_path}, {"new_path", new_path}, {"descendants", moved}});
      }
    }
    return Status();
  }

  static Status LeadStatus(Ctx& ctx, const ValueMap& before, ValueMap& after) {
    std::string from = Text(before, "status"), to = Text(after, "status");
    if (from == to) return Status();
    if (to == "converted") {
      return Status::Error(ErrorKind::kUnprocessable, "lead.use_convert",
                           "a lead becomes converted through POST /api/v1/leads/{id}/convert",
                           "线索须通过转化接口 POST /api/v1/leads/{id}/convert 转化", "status");
    }
    static const std::map<std::string, std::vector<std::string>> kMoves = {
        {"new", {"working", "qualified", "disqualified"}},
        {"working", {"qualified", "disqualified"}},
        {"qualified", {"working", "disqualified"}},
        {"disqualified", {"working"}},
        {"converted", {}},
    };
    const auto& allowed = kMoves.at(from);
    if (std::find(allowed.begin(), allowed.end(), to) == allowed.end()) {
      return Conflict("lead.illegal_status", "a lead cannot move from " + from + " to " + to,
                      "线索状态不能从 " + from + " 变为 " + to, "status");
    }
    if (to == "disqualified" && Null(after, "disqualify_reason")) return Required("disqualify_reason");
    if (from == "new" && Null(after, "first_response_at")) after["first_response_at"] = ctx.now_text;
    return Status();
  }

  static Status StageMove(Ctx& ctx, int64_t id, const ValueMap& before, ValueMap& after) {
    std::string from = Text(before, "stage"), to = Text(after, "stage");
    if (!IsOpenStage(from)) {
      for (const auto& [k, val] : after) {
        if (k != "loss_reason" && k != "updated_at" && before.count(k) && before.at(k) != val) {
          return Conflict("opportunity.closed",
                          "a " + from + " opportunity is final; only loss_reason may change",
                          "已" + std::string(from == "won" ? "赢单" : "输单") +
                              "的商机为终态，只能修改输单原因",
                          k);
        }
      }
      return Status();
    }
    if (from == to) return Status();
    int fi = StageIndex(from), ti = StageIndex(to);
    bool legal = (IsOpenStage(to) && (ti > fi || ti == fi - 1)) || to == "lost" ||
                 (to == "won" && (from == "proposal" || from == "negotiation"));
    if (!legal) {
      return Conflict("opportunity.illegal_stage_move",
                      "an opportunity cannot move from " + from + " to " + to +
                          " (forward, one step back, lost from any open stage, won from "
                          "proposal or negotiation)",
                      "商机阶段不能从 " + from + " 变为 " + to +
                          "（可前进、后退一步、任一未结阶段可输单、方案或谈判阶段可赢单）",
                      "stage");
    }
    if (to == "lost" && Null(after, "loss_reason")) return Required("loss_reason");
    if (!IsOpenStage(to)) {
      after["outcome"] = to;
      after["closed_at"] = ctx.now_text;
    }
    KEEL_RETURN_IF_ERROR(StageHistory(ctx, id, Value(from), to, after.at("amount")));
    Emit(ctx, "opportunity.stage_changed", "opportunities", id,
         {{"from", from},
          {"to", to},
          {"amount", static_cast<double>(store::AsInt(after.at("amount"))) / 100.0},
          {"owner_id", Int(after, "owner_id")},
          {"unit_id", Int(after, "unit_id")}});
    return Status();
  }

  static Status StageHistory(Ctx& ctx, int64_t opp_id, const Value& from, const std::string& to,
                             const Value& amount) {
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, ctx.conn.AllocateIds(1));
    Value q[] = {ctx.p.tenant_id, ids[0], opp_id, from, to, amount, ctx.now_text, ctx.p.user_id};
    return ctx.conn.Exec("INSERT INTO opportunity_stage_history (tenant_id, id, opportunity_id, "
                         "from_stage, to_stage, amount, changed_at, actor_id) VALUES "
                         "(?, ?, ?, ?, ?, ?, ?, ?)", q).status();
  }

  // An activity on a lead is the owner's response: stamp first_response_at and move new → working.
  static Status TouchLead(Ctx& ctx, int64_t lead_id, const std::string& at) {
    Value q[] = {at, ctx.now_text, ctx.p.tenant_id, lead_id};
    KEEL_ASSIGN_OR_RETURN(int64_t changed, ctx.conn.Exec(
        "UPDATE leads SET first_response_at = ?, updated_at = ?, status = CASE WHEN status = 'new' "
        "THEN 'working' ELSE status END WHERE tenant_id = ? AND id = ? AND first_response_at IS NULL",
        q));
    if (changed > 0) {
      Emit(ctx, "lead.responded", "leads", lead_id, {{"first_response_at", at}});
    }
    return Status();
  }

  static Status RevokeSessions(Ctx& ctx, int64_t user_id) {
    Value q[] = {ctx.now_text, ctx.p.tenant_id, user_id};
    return ctx.conn.Exec("UPDATE sessions SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? "
                         "AND revoked_at IS NULL", q).status();
  }

  static Status OrderTotals(Ctx& ctx, ValueMap& v, std::vector<ValueMap>& lines) {
    if (lines.empty()) {
      return Status::Invalid("validation.required", "an order needs at least one line",
                             "订单至少需要一行明细", "lines");
    }
    if (Null(v, "currency")) v["currency"] = ctx.tenant.currency;
    int64_t total = 0, discount_total = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      ValueMap& l = lines[i];
      int64_t qty = Int(l, "qty"), price = Int(l, "unit_price"), disc = Int(l, "discount");
      if (qty == 0) {
        return Status::Invalid("validation.range", "qty must not be 0", "数量不能为 0",
                               "lines[" + std::to_string(i) + "].qty");
      }
      int64_t gross = 0;
      const std::string at = "lines[" + std::to_string(i) + "]";
      if (__builtin_mul_overflow(qty, price, &gross) || gross > kMaxMoney || gross < -kMaxMoney) {
        return Status::Invalid("validation.range", "qty × unit_price is too large", "数量 × 单价过大",
                               at + ".qty");
      }
      if (disc > (gross < 0 ? -gross : gross)) {
        return Status::Invalid("validation.discount", "discount exceeds the line's value",
                               "折扣超过该行金额", "lines[" + std::to_string(i) + "].discount");
      }
      int64_t amount = gross >= 0 ? gross - disc : gross + disc;
      l["discount"] = disc;
      l["amount"] = amount;
      l["line_no"] = static_cast<int64_t>(i + 1);
      total += amount;
      discount_total += disc;
      if (total > kMaxMoney || total < -kMaxMoney) {
        return Status::Invalid("validation.range", "the order total is too large", "订单总额过大", "lines");
      }
    }
    v["total"] = total;
    v["discount_total"] = discount_total;
    v["line_count"] = static_cast<int64_t>(lines.size());
    return ReturnRules(ctx, v, lines);
  }

  // A return (negative lines) takes back goods of one paid order, never more than it sold (less
  // what earlier returns took back), and only people who answer for the money may post one; a
  // refunded or cancelled order likewise.
  static Status ReturnRules(Ctx& ctx, const ValueMap& v, const std::vector<ValueMap>& lines) {
    size_t negative = 0;
    for (const auto& l : lines) negative += Int(l, "qty") < 0;
    const bool is_return = negative > 0;
    if ((is_return || Text(v, "status") != "paid") && !CanRefund(ctx.p)) {
      return Forbidden("only a supervisor, unit lead or HQ may post a return or a refunded/cancelled order",
                       "只有主管、战队负责人或总部可以提交退货或退款/取消的订单");
    }
    if (!is_return) {
      if (!Null(v, "return_of")) {
        return Status::Invalid("order.return_lines", "a return's lines have negative quantities", "退货单的明细数量须为负数", "lines");
      }
      return Status();
    }
    if (negative != lines.size()) {
      return Status::Invalid("order.return_lines", "a return has only negative lines; sell the rest in an order of its own",
                             "退货单只能包含负数量明细；其余商品请另开订单", "lines");
    }
    if (Null(v, "return_of")) {
      return Status::Invalid("order.return_without_original", "a return names the paid order it takes back (return_of)",
                             "退货须指明对应的已付款原订单（return_of）", "return_of");
    }
    const int64_t original = Int(v, "return_of");
    KEEL_RETURN_IF_ERROR(CheckRef(ctx, *FindEntity("orders")->Field("return_of"), original));  // one the caller can see
    KEEL_ASSIGN_OR_RETURN(store::Rows o, Fetch(ctx.conn, "status, return_of", "orders", ctx.p.tenant_id, original));
    if (o.empty()) return Status::NotFound("order", "return_of");
    if (store::AsText(o.rows[0][0]) != "paid" || !store::IsNull(o.rows[0][1])) {
      return Status::Error(ErrorKind::kUnprocessable, "order.return_of_unpaid", "only a paid sale can be returned",
                           "只有已付款的销售订单可以退货", "return_of");
    }
    // What the original sold and earlier returns took back, per product.
    Value q[] = {ctx.p.tenant_id, original, original};
    KEEL_ASSIGN_OR_RETURN(store::Rows sold, ctx.conn.Query(
        "SELECT l.product_id, SUM(l.qty), SUM(l.amount) FROM order_lines l JOIN orders o ON o.tenant_id = l.tenant_id AND o.id = l.order_id "
        "WHERE o.tenant_id = ? AND (o.id = ? OR (o.return_of = ? AND o.status <> 'cancelled')) GROUP BY l.product_id", q));
    std::map<int64_t, std::pair<int64_t, int64_t>> left;  // product → qty, amount still returnable
    for (const auto& row : sold.rows) left[store::AsInt(row[0])] = {store::AsInt(row[1]), store::AsInt(row[2])};
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string at = "lines[" + std::to_string(i) + "]";
      auto it = left.find(Int(lines[i], "product_id"));
      if (it == left.end() || it->second.first <= 0) {
        return Status::Error(ErrorKind::kUnprocessable, "order.return_exceeds", "the original order has none of this product left to return",
                             "原订单中没有可退的该商品", at + ".product_id");
      }
      it->second.first += Int(lines[i], "qty");  // negative
      it->second.second += Int(lines[i], "amount");
      if (it->second.first < 0 || it->second.second < 0) {
        return Status::Error(ErrorKind::kUnprocessable, "order.return_exceeds",
                             "the return takes back more than the original order sold (less earlier returns)",
                             "退货数量或金额超过原订单（扣除此前退货后）的剩余", at + ".qty");
      }
    }
    return Status();
  }

  // Line amounts at their discounts, the quote's totals and its overall and deepest discount.
  static Status QuoteTotals(Ctx& ctx, ValueMap& v, std::vector<ValueMap>& lines) {
    if (lines.empty()) {
      return Status::Invalid("validation.required", "a quote needs at least one line", "报价单至少需要一行明细", "lines");
    }
    if (Null(v, "currency")) v["currency"] = ctx.tenant.currency;
    int64_t subtotal = 0, total = 0;
    double max_disc = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      ValueMap& l = lines[i];
      int64_t qty = Int(l, "qty"), price = Int(l, "unit_price");
      double disc = Null(l, "discount_pct") ? 0.0 : store::AsDouble(l.at("discount_pct"));
      int64_t gross = 0;
      if (__builtin_mul_overflow(qty, price, &gross) || gross > kMaxMoney) {
        return Status::Invalid("validation.range", "qty × unit_price is too large", "数量 × 单价过大",
                               "lines[" + std::to_string(i) + "].qty");
      }
      // In basis points and integers: the line amount rounds half a fen up, exactly.
      int64_t bp = std::llround(disc * 100.0);
      int64_t scaled = 0;
      if (__builtin_mul_overflow(gross, 10000 - bp, &scaled)) {
        return Status::Invalid("validation.range", "qty × unit_price is too large", "数量 × 单价过大", "lines[" + std::to_string(i) + "].qty");
      }
      int64_t amount = (scaled + 5000) / 10000;
      l["discount_pct"] = disc;
      l["amount"] = amount;
      l["line_no"] = static_cast<int64_t>(i + 1);
      subtotal += gross;
      total += amount;
      max_disc = std::max(max_disc, disc);
      if (subtotal > kMaxMoney) return Status::Invalid("validation.range", "the quote is too large", "报价金额过大", "lines");
    }
    v["subtotal"] = subtotal;
    v["total"] = total;
    v["discount_total"] = subtotal - total;
    v["discount_pct"] = subtotal > 0 ? std::round(10000.0 * static_cast<double>(subtotal - total) / static_cast<double>(subtotal)) / 100.0 : 0.0;
    v["max_discount_pct"] = max_disc;
    return Status();
  }

  // A budget transfer moves money between two budgets of the tenant that the caller sees; it
  // belongs to the unit the money leaves.
  static Status TransferBudgets(Ctx& ctx, ValueMap& v) {
    int64_t from = Int(v, "from_budget_id"), to = Int(v, "to_budget_id");
    if (from == to) {
      return Status::Invalid("validation.same_budget", "from_budget_id and to_budget_id are the same budget", "调出与调入预算不能相同", "to_budget_id");
    }
    if (Int(v, "amount") <= 0) return Status::Invalid("validation.range", "amount must be more than 0", "调剂金额须大于 0", "amount");
    std::string category;
    for (const char* f : {"from_budget_id", "to_budget_id"}) {
      Value q[] = {ctx.p.tenant_id, Int(v, f)};
      KEEL_ASSIGN_OR_RETURN(store::Rows r, ctx.conn.Query(
          "SELECT b.unit_id, u.path, b.amount - b.committed FROM budgets b JOIN units u ON u.tenant_id = b.tenant_id AND u.id = b.unit_id "
          "WHERE b.tenant_id = ? AND b.id = ?", q));
      bool visible = !r.empty() && (ctx.p.is_system() || SeesWholeTenant(ctx.p.role) || store::AsText(r.rows[0][1]).rfind(ctx.p.unit_path, 0) == 0);
      if (!visible) {
        return Status::Invalid("validation.reference", std::string(f) + ": no budget you can see in this tenant",
                               std::string(f) + "：本租户中不存在您可见的预算", f);
      }
      if (std::string(f) == "from_budget_id") {
        v["unit_id"] = r.rows[0][0];
        if (store::AsInt(r.rows[0][2]) < Int(v, "amount")) {
          char left[32];
          std::snprintf(left, sizeof left, "%.2f", static_cast<double>(store::AsInt(r.rows[0][2])) / 100);
          return Conflict("budget.exceeded", std::string("the budget has only ") + left + " yuan left to move",
                          std::string("调出预算余额不足，仅剩 ") + left + " 元", "amount");
        }
      }
    }
    return Status();
  }

  static Status ExpenseTotals(ValueMap& v, std::vector<ValueMap>& lines) {
    if (lines.empty()) {
      return Status::Invalid("validation.required", "an expense claim needs at least one line", "报销单至少需要一行明细", "lines");
    }
    int64_t total = 0, missing = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      ValueMap& l = lines[i];
      int64_t amount = Int(l, "amount");
      if (amount <= 0) {
        return Status::Invalid("validation.range", "a line's amount must be more than 0", "明细金额须大于 0",
                               "lines[" + std::to_string(i) + "].amount");
      }
      total += amount;
      if (total > kMaxMoney) return Status::Invalid("validation.range", "the claim is too large", "报销金额过大", "lines");
      if (Null(l, "has_receipt")) l["has_receipt"] = int64_t{0};
      if (Int(l, "has_receipt") == 0) ++missing;
      l["line_no"] = static_cast<int64_t>(i + 1);
    }
    v["total"] = total;
    v["line_count"] = static_cast<int64_t>(lines.size());
    v["missing_receipts"] = missing;
    return Status();
  }

  // "2026-07" → month, "2026-Q3" → quarter, "2026" → year; rejects duplicates.
  static Status TargetPeriod(Ctx& ctx, ValueMap& v, int64_t id) {
    std::string period = Text(v, "period");
    int y = 0, a = 0, b = 0;
    char q = 0;
    int64_t start, end;
    auto bad = [&] {
      return Status::Invalid("validation.period",
                             "period '" + period + "' must look like 2026-07, 2026-Q3 or 2026",
                             "周期 '" + period + "' 应为 2026-07、2026-Q3 或 2026 的形式", "period");
    };
    if (period.size() == 7 && std::sscanf(period.c_str(), "%4d-%2d", &y, &a) == 2 &&
        period[4] == '-' && period[5] != 'Q' && a >= 1 && a <= 12) {
      start = DaysFromCivil(y, a, 1);
      end = (a == 12 ? DaysFromCivil(y + 1, 1, 1) : DaysFromCivil(y, a + 1, 1)) - 1;
    } else if (period.size() == 7 && std::sscanf(period.c_str(), "%4d-%c%1d", &y, &q, &b) == 3 &&
               q == 'Q' && b >= 1 && b <= 4) {
      start = DaysFromCivil(y, (b - 1) * 3 + 1, 1);
      end = (b == 4 ? DaysFromCivil(y + 1, 1, 1) : DaysFromCivil(y, b * 3 + 1, 1)) - 1;
    } else if (period.size() == 4 && std::sscanf(period.c_str(), "%4d", &y) == 1) {
      start = DaysFromCivil(y, 1, 1);
      end = DaysFromCivil(y + 1, 1, 1) - 1;
    } else {
      return bad();
    }
    if (y < 2000 || y > 2100) return bad();
    v["period_start"] = FormatDate(start);
    v["period_end"] = FormatDate(end);
    if (!Null(v, "user_id")) {
      KEEL_ASSIGN_OR_RETURN(store::Rows r, ctx.conn.Query(
          "SELECT u.id FROM users u JOIN units a ON a.tenant_id = u.tenant_id AND a.id = u.unit_id "
          "JOIN units t ON t.tenant_id = u.tenant_id AND t.id = ? WHERE u.tenant_id = ? AND "
          "u.id = ? AND a.path LIKE t.path || '%'",
          std::vector<Value>{v["unit_id"], ctx.p.tenant_id, v["user_id"]}));
      if (r.empty()) {
        return Status::Invalid("target.user_outside_unit", "user_id is not a member of unit_id",
                               "user_id 不属于 unit_id 所指单元", "user_id");
      }
    }
    std::vector<Value> dup = {ctx.p.tenant_id, v["unit_id"], v["metric"], v["period"], id};
    std::string sql = "SELECT id FROM targets WHERE tenant_id = ? AND unit_id = ? AND metric = ? "
                      "AND period = ? AND id <> ? AND archived_at IS NULL AND ";
    if (Null(v, "user_id")) {
      sql += "user_id IS NULL";
    } else {
      sql += "user_id = ?";
      dup.push_back(v["user_id"]);
    }
    KEEL_ASSIGN_OR_RETURN(store::Rows r, ctx.conn.Query(sql, dup));
    if (!r.empty()) {
      return Conflict("conflict.duplicate",
                      "a target for this unit, user, metric and period already exists (id " +
                          store::AsText(r.rows[0][0]) + ")",
                      "该单元/人员/指标/周期的目标已存在（id " + store::AsText(r.rows[0][0]) + "）",
                      "period");
    }
    return Status();
  }
};

// ---------------------------------------------------------------------------------------------
// The generic engine.

namespace {

Status ParseBody(const EntityDef& e, const json& body, bool creating, ValueMap& v,
                 const json** child_items) {
  if (!body.is_object()) {
    return Status::Invalid("validation.body", "the body must be a JSON object",
                           "请求体必须是 JSON 对象");
  }
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& k = it.key();
    if (e.child && k == e.child->name) {
      if (!creating) {
        return Status::Invalid("validation.read_only", k + " cannot be changed after creation",
                               k + " 创建后不能修改", k);
      }
      *child_items = &it.value();
      continue;
    }
    const FieldDef* f = e.Field(k);
    if (!f) {
      return Status::Invalid("validation.unknown_field", "unknown field '" + k + "'",
                             "未知字段 '" + k + "'", k);
    }
    if (!f->writable || (!creating && !f->mutable_)) {
      return Status::Invalid("validation.read_only",
                             k + (f->writable ? " cannot be changed after creation"
                                              : " is computed by the system"),
                             k + (f->writable ? " 创建后不能修改" : " 由系统计算，不能写入"), k);
    }
    KEEL_ASSIGN_OR_RETURN(v[k], ToValue(*f, it.value()));
  }
  return Status();
}

Status ParseChildren(const ChildDef& c, const json* items, std::vector<ValueMap>& out) {
  if (!items) return Status();
  if (!items->is_array()) {
    return Status::Invalid("validation.type", c.name + " must be an array", c.name + " 应为数组",
                           c.name);
  }
  if (items->size() > static_cast<size_t>(c.max_items)) {
    return Status::Invalid("validation.too_many", c.name + " has more than " +
                           std::to_string(c.max_items) + " items",
                           c.name + " 超过 " + std::to_string(c.max_items) + " 项", c.name);
  }
  for (size_t i = 0; i < items->size(); ++i) {
    const json& item = (*items)[i];
    std::string at = c.name + "[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      return Status::Invalid("validation.type", at + " must be an object", at + " 应为对象", at);
    }
    ValueMap m;
    for (auto it = item.begin(); it != item.end(); ++it) {
      const FieldDef* f = nullptr;
      for (const auto& cf : c.fields) {
        if (cf.name == it.key()) f = &cf;
      }
      if (!f) {
        return Status::Invalid("validation.unknown_field", "unknown field '" + it.key() + "'",
                               "未知字段 '" + it.key() + "'", at + "." + it.key());
      }
      if (!f->writable) {
        return Status::Invalid("validation.read_only", it.key() + " is computed by the system",
                               it.key() + " 由系统计算，不能写入", at + "." + it.key());
      }
      auto val = ToValue(*f, it.value());
      if (!val.ok()) return val.status().WithFieldPrefix(at);
      m[it.key()] = std::move(val).value();
    }
    for (const auto& cf : c.fields) {
      if (cf.required && cf.writable && Null(m, cf.name)) return Required(at + "." + cf.name);
    }
    out.push_back(std::move(m));
  }
  return Status();
}

json MapToJson(const EntityDef& e, int64_t id, const ValueMap& v) {
  json out = json::object();
  out["id"] = id;
  for (const auto& f : e.fields) {
    if (f.hidden) continue;
    auto it = v.find(f.name);
    out[f.name] = it == v.end() ? json(nullptr) : FromValue(f, it->second);
  }
  for (const char* k : {"created_at", "updated_at", "archived_at"}) {
    auto it = v.find(k);
    out[k] = it == v.end() || store::IsNull(it->second) ? json(nullptr)
                                                          : json(store::AsText(it->second));
  }
  auto it = v.find("created_by");
  out["created_by"] =
      it == v.end() || store::IsNull(it->second) ? json(nullptr) : json(store::AsInt(it->second));
  return out;
}

json ChildrenToJson(const ChildDef& c, const std::vector<ValueMap>& rows) {
  json arr = json::array();
  for (const auto& m : rows) {
    json o = json::object();
    o["line_no"] = Int(m, "line_no");
    for (const auto& f : c.fields) {
      auto it = m.find(f.name);
      o[f.name] = it == m.end() ? json(nullptr) : FromValue(f, it->second);
    }
    arr.push_back(std::move(o));
  }
  return arr;
}

Result<std::vector<ValueMap>> LoadChildren(store::Connection& conn, const ChildDef& c,
                                           int64_t tenant_id, int64_t parent_id) {
  std::string sql = "SELECT line_no";
  for (const auto& f : c.fields) sql += ", " + f.name;
  sql += " FROM " + c.table + " WHERE tenant_id = ? AND " + c.parent_key + " = ? ORDER BY line_no";
  Value p[] = {tenant_id, parent_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(sql, p));
  std::vector<ValueMap> out;
  for (size_t i = 0; i < r.size(); ++i) out.push_back(RowToMap(EntityDef{}, r, i));
  return out;
}

}  // namespace

Status RecordService::CheckWritable(store::Connection& conn, const Principal& p, const EntityDef& e,
                                    const std::map<std::string, int64_t>& values) {
  if (p.is_system()) return Status();
  if (!e.CanWrite(p.role)) {
    return Forbidden("your role may not create " + e.name, "您的角色无权创建" + e.zh);
  }
  Ctx ctx{p, conn};
  ValueMap v;
  for (const auto& [field, id] : values) v[field] = id ? Value(id) : Value();
  KEEL_RETURN_IF_ERROR(RecordRules::CheckScope(ctx, e, v));
  for (const auto& f : e.fields) {
    if (f.type == FieldType::kRef && f.writable && !Null(v, f.name)) {
      KEEL_RETURN_IF_ERROR(RecordRules::CheckRef(ctx, f, Int(v, f.name)));
    }
  }
  return Status();
}

Result<json> RecordService::CreateIn(Ctx& ctx, const EntityDef& e, const json& body) {
  if (!e.CanWrite(ctx.p.role)) {
    return Forbidden("your role may not create " + e.name, "您的角色无权创建" + e.zh);
  }
  ValueMap v;
  const json* child_items = nullptr;
  KEEL_RETURN_IF_ERROR(ParseBody(e, body, true, v, &child_items));
  std::vector<ValueMap> children;
  if (e.child) {
    KEEL_RETURN_IF_ERROR(ParseChildren(*e.child, child_items, children));
  }
  for (const auto& f : e.fields) {
    if (Null(v, f.name) && f.type == FieldType::kBool) v[f.name] = int64_t{f.default_value == "true"};
    if (Null(v, f.name) && !f.default_value.empty()) v[f.name] = f.default_value;
  }
  KEEL_RETURN_IF_ERROR(RecordRules::Custom(ctx, e, nullptr, v));
  KEEL_RETURN_IF_ERROR(RecordRules::DefaultOwnership(ctx, e, v));
  for (const auto& f : e.fields) {
    if (f.required && f.writable && Null(v, f.name)) return Required(f.name);
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, ctx.conn.AllocateIds(1));
  const int64_t id = ids[0];
  KEEL_RETURN_IF_ERROR(RecordRules::PrepareCreate(ctx, e, id, v, children));
  KEEL_RETURN_IF_ERROR(RecordRules::CheckScope(ctx, e, v));
  for (const auto& f : e.fields) {
    if (f.type == FieldType::kRef && !Null(v, f.name) && f.writable) {
      KEEL_RETURN_IF_ERROR(RecordRules::CheckRef(ctx, f, Int(v, f.name)));
    }
    if (f.unique) KEEL_RETURN_IF_ERROR(RecordRules::CheckUnique(ctx, e, f, v[f.name], id));
  }
  if (e.child) {
    for (size_t i = 0; i < children.size(); ++i) {
      for (const auto& f : e.child->fields) {
        if (f.type == FieldType::kRef && !Null(children[i], f.name)) {
          Status st = RecordRules::CheckRef(ctx, f, Int(children[i], f.name));
          if (!st.ok()) return st.WithFieldPrefix(e.child->name + "[" + std::to_string(i) + "]");
        }
      }
    }
  }
  v["created_at"] = ctx.now_text;
  v["updated_at"] = ctx.now_text;
  v["created_by"] = ctx.p.user_id == 0 ? Value() : Value(ctx.p.user_id);

  std::string cols = "tenant_id, id, created_at, updated_at, created_by";
  std::string marks = "?, ?, ?, ?, ?";
  std::vector<Value> params = {ctx.p.tenant_id, id, v["created_at"], v["updated_at"],
                               v["created_by"]};
  for (const auto& f : e.fields) {
    cols += ", " + ColumnOf(f);
    marks += ", ?";
    auto it = v.find(f.name);
    params.push_back(it == v.end() ? Value() : it->second);
  }
  KEEL_RETURN_IF_ERROR(ctx.conn.Exec("INSERT INTO " + e.name + " (" + cols + ") VALUES (" +
                                     marks + ")", params).status());
  if (e.child) {
    std::string ccols = "tenant_id, " + e.child->parent_key + ", line_no";
    std::string cmarks = "?, ?, ?";
    for (const auto& f : e.child->fields) {
      ccols += ", " + f.name;
      cmarks += ", ?";
    }
    std::string sql = "INSERT INTO " + e.child->table + " (" + ccols + ") VALUES (" + cmarks + ")";
    for (const auto& c : children) {
      std::vector<Value> cp = {ctx.p.tenant_id, id, c.at("line_no")};
      for (const auto& f : e.child->fields) {
        auto it = c.find(f.name);
        cp.push_back(it == c.end() ? Value() : it->second);
      }
      KEEL_RETURN_IF_ERROR(ctx.conn.Exec(sql, cp).status());
    }
  }
  KEEL_RETURN_IF_ERROR(RecordRules::AfterCreate(ctx, e, id, v));
  json out = MapToJson(e, id, v);
  if (e.child) out[e.child->name] = ChildrenToJson(*e.child, children);
  RecordRules::Emit(ctx, e.singular + ".created", e.name, id, out);
  if (e.audited_create) ctx.audits.push_back({"create", e.name, id, nullptr, out});
  return out;
}

Result<json> RecordService::UpdateIn(Ctx& ctx, const EntityDef& e, int64_t id, const json& patch) {
  if (!e.CanWrite(ctx.p.role)) {
    return Forbidden("your role may not change " + e.name, "您的角色无权修改" + e.zh);
  }
  std::vector<Value> params = {ctx.p.tenant_id, id};
  std::string sql = SelectSql(e) + " WHERE tenant_id = ? AND id = ?" + ScopeClause(ctx.p, e, params);
  KEEL_ASSIGN_OR_RETURN(store::Rows r, ctx.conn.Query(sql, params));
  if (r.empty()) return Status::NotFound(e.en);
  ValueMap before = RowToMap(e, r, 0);
  if (!Null(before, "archived_at")) {
    return Conflict("record.archived", "this " + e.en + " is archived", "该" + e.zh + "已归档");
  }
  ValueMap changes;
  const json* none = nullptr;
  KEEL_RETURN_IF_ERROR(ParseBody(e, patch, false, changes, &none));
  if (changes.count("custom")) KEEL_RETURN_IF_ERROR(RecordRules::Custom(ctx, e, &before, changes));
  ValueMap after = before;
  for (auto& [k, val] : changes) after[k] = val;
  for (const auto& f : e.fields) {
    if (f.required && f.writable && Null(after, f.name)) return Required(f.name);
  }
  // Readable is not writable here: the stored record must be in the writer's part too.
  if (ReadsBeyondWrites(e.scope)) KEEL_RETURN_IF_ERROR(RecordRules::CheckScope(ctx, e, before));
  KEEL_RETURN_IF_ERROR(RecordRules::PrepareUpdate(ctx, e, id, before, after));
  KEEL_RETURN_IF_ERROR(RecordRules::CheckScope(ctx, e, after));
  std::vector<std::string> changed;
  for (const auto& f : e.fields) {
    auto a = after.find(ColumnOf(f));
    if (a == after.end()) a = after.find(f.name);
    if (a == after.end()) continue;
    auto b = before.find(ColumnOf(f));
    if (b != before.end() && b->second == a->second) continue;
    if (f.type == FieldType::kRef && !store::IsNull(a->second)) {
      KEEL_RETURN_IF_ERROR(RecordRules::CheckRef(ctx, f, store::AsInt(a->second)));
    }
    if (f.unique) KEEL_RETURN_IF_ERROR(RecordRules::CheckUnique(ctx, e, f, a->second, id));
    changed.push_back(f.name);
  }
  json before_json = RowToJson(e, r, 0);
  if (changed.empty()) return before_json;
  after["updated_at"] = ctx.now_text;
  std::string set = "updated_at = ?";
  std::vector<Value> up = {ctx.now_text};
  for (const auto& name : changed) {
    const FieldDef* f = e.Field(name);
    set += ", " + ColumnOf(*f) + " = ?";
    auto it = after.find(name);
    up.push_back(it->second);
  }
  up.push_back(ctx.p.tenant_id);
  up.push_back(id);
  KEEL_RETURN_IF_ERROR(ctx.conn.Exec("UPDATE " + e.name + " SET " + set +
                                     " WHERE tenant_id = ? AND id = ?", up).status());
  // password is stored as password_hash; keep the JSON view free of it.
  ValueMap view = after;
  view.erase("password");
  json after_json = MapToJson(e, id, view);
  if (e.child) {
    // The event carries the whole record, lines included, so consumers can retract the old facts.
    KEEL_ASSIGN_OR_RETURN(auto rows, LoadChildren(ctx.conn, *e.child, ctx.p.tenant_id, id));
    after_json[e.child->name] = ChildrenToJson(*e.child, rows);
  }
  json diff = json::object();
  for (const auto& name : changed) {
    const FieldDef* f = e.Field(name);
    if (f->hidden) {
      diff[name] = {{"from", "***"}, {"to", "***"}};
      continue;
    }
    diff[name] = {{"from", before_json[name]}, {"to", after_json[name]}};
  }
  RecordRules::Emit(ctx, e.singular + ".updated", e.name, id, {{"changes", diff}, {"record", after_json}});
  ctx.audits.push_back({"update", e.name, id, before_json, after_json});
  return after_json;
}

int RecordService::AddObserver(WriteObserver observer) {
  std::lock_guard lock(observers_mu_);
  observers_.emplace_back(next_observer_, std::move(observer));
  return next_observer_++;
}

void RecordService::RemoveObserver(int handle) {
  std::lock_guard lock(observers_mu_);
  std::erase_if(observers_, [handle](const auto& o) { return o.first == handle; });
}

bool RecordService::Observe(const Principal& p, const EntityDef& e, int64_t id, const std::string& op, const json& record,
                            const json& changes) {
  std::vector<WriteObserver> observers;
  {
    std::lock_guard lock(observers_mu_);
    for (const auto& [handle, o] : observers_) observers.push_back(o);
  }
  bool wrote = false;
  for (const auto& o : observers) wrote = o(p, e, id, op, record, changes) || wrote;
  return wrote;
}

Result<json> RecordService::Create(const Principal& p, const EntityDef& e, const json& body,
                                   const WriteOptions& opt) {
  json out;
  {
    KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
    KEEL_ASSIGN_OR_RETURN(Ctx ctx, Begin(p, opt, conn));
    KEEL_ASSIGN_OR_RETURN(out, CreateIn(ctx, e, body));
    KEEL_RETURN_IF_ERROR(Finish(ctx));
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  // After the commit and with the connection back in the pool: observers may write themselves
  // (a workflow its creation started); the reply then shows where the record got to.
  if (Observe(p, e, out.value("id", json(0)).get<int64_t>(), "create", out, json::object())) {
    auto fresh = Get(p, e, out.value("id", json(0)).get<int64_t>());
    if (fresh.ok()) return *fresh;
  }
  return out;
}

Result<BatchResult> RecordService::CreateBatch(const Principal& p, const EntityDef& e,
                                               const json& items, const WriteOptions& opt,
                                               size_t max_items) {
  if (!items.is_array()) {
    return Status::Invalid("validation.body", "the body must be a JSON array of records",
                           "请求体必须是记录组成的 JSON 数组");
  }
  if (items.empty() || items.size() > max_items) {
    return Status::Invalid("validation.batch_size",
                           "a batch holds 1 to " + std::to_string(max_items) + " records",
                           "每批应包含 1 到 " + std::to_string(max_items) + " 条记录");
  }
  if (!e.CanWrite(p.role)) {
    return Forbidden("your role may not create " + e.name, "您的角色无权创建" + e.zh);
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(Ctx ctx, Begin(p, opt, conn));
  BatchResult result;
  if (!opt.record_times.empty() && opt.record_times.size() != items.size()) {
    return Status::Internal("record_times does not match the batch size");
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (!opt.record_times.empty()) {
      ctx.now = opt.record_times[i];
      ctx.now_text = FormatTimestamp(ctx.now);
    }
    size_t events_before = ctx.events.size(), audits_before = ctx.audits.size();
    KEEL_RETURN_IF_ERROR(conn->Savepoint("rec"));
    auto created = CreateIn(ctx, e, items[i]);
    if (created.ok()) {
      KEEL_RETURN_IF_ERROR(conn->ReleaseSavepoint("rec"));
      result.ids.push_back((*created)["id"].get<int64_t>());
      result.created_at.push_back(i);
      continue;
    }
    if (created.status().kind() == ErrorKind::kInternal ||
        created.status().kind() == ErrorKind::kUnavailable) {
      return created.status();
    }
    KEEL_RETURN_IF_ERROR(conn->RollbackToSavepoint("rec"));
    KEEL_RETURN_IF_ERROR(conn->ReleaseSavepoint("rec"));
    ctx.events.resize(events_before);
    ctx.audits.resize(audits_before);
    // A reference verified inside the rolled-back record may not exist any more.
    ctx.refs_ok.clear();
    result.errors.push_back({i, created.status()});
  }
  KEEL_RETURN_IF_ERROR(Finish(ctx));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return result;
}

Result<json> RecordService::Get(const Principal& p, const EntityDef& e, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  std::vector<Value> params = {p.tenant_id, id};
  std::string sql = SelectSql(e) + " WHERE tenant_id = ? AND id = ?" + ScopeClause(p, e, params);
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(sql, params));
  if (r.empty()) return Status::NotFound(e.en);
  json out = RowToJson(e, r, 0);
  if (e.child) {
    KEEL_ASSIGN_OR_RETURN(auto rows, LoadChildren(*conn, *e.child, p.tenant_id, id));
    out[e.child->name] = ChildrenToJson(*e.child, rows);
  }
  return out;
}

Result<json> RecordService::GetWritable(const Principal& p, const EntityDef& e, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  std::vector<Value> params = {p.tenant_id, id};
  std::string sql = SelectSql(e) + " WHERE tenant_id = ? AND id = ?" + ScopeClause(p, e, params);
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(sql, params));
  if (r.empty()) return Status::NotFound(e.en);
  if (!e.CanWrite(p.role)) return Forbidden("your role may not change " + e.name, "您的角色无权修改" + e.zh);
  Ctx ctx{p, *conn};
  KEEL_RETURN_IF_ERROR(RecordRules::CheckScope(ctx, e, RowToMap(e, r, 0)));
  return RowToJson(e, r, 0);
}

Result<json> RecordService::Update(const Principal& p, const EntityDef& e, int64_t id,
                                   const json& patch, const WriteOptions& opt) {
  json out, changes = json::object();
  {
    KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
    KEEL_ASSIGN_OR_RETURN(Ctx ctx, Begin(p, opt, conn));
    KEEL_ASSIGN_OR_RETURN(out, UpdateIn(ctx, e, id, patch));
    if (e.child) {
      KEEL_ASSIGN_OR_RETURN(auto rows, LoadChildren(*conn, *e.child, p.tenant_id, id));
      out[e.child->name] = ChildrenToJson(*e.child, rows);
    }
    if (!ctx.events.empty() && ctx.events.back().entity == e.name && ctx.events.back().entity_id == id) {
      json ev = json::parse(ctx.events.back().payload, nullptr, false);
      if (ev.is_object() && ev.contains("changes")) changes = ev["changes"];
    }
    KEEL_RETURN_IF_ERROR(Finish(ctx));
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  if (!changes.empty() && Observe(p, e, id, "update", out, changes)) {
    auto fresh = Get(p, e, id);
    if (fresh.ok()) return *fresh;
  }
  return out;
}

Result<json> RecordService::Archive(const Principal& p, const EntityDef& e, int64_t id,
                                    const WriteOptions& opt) {
  if (!e.CanWrite(p.role)) {
    return Forbidden("your role may not archive " + e.name, "您的角色无权归档" + e.zh);
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(Ctx ctx, Begin(p, opt, conn));
  std::vector<Value> params = {p.tenant_id, id};
  std::string sql = SelectSql(e) + " WHERE tenant_id = ? AND id = ?" + ScopeClause(p, e, params);
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(sql, params));
  if (r.empty()) return Status::NotFound(e.en);
  if (ReadsBeyondWrites(e.scope)) KEEL_RETURN_IF_ERROR(RecordRules::CheckScope(ctx, e, RowToMap(e, r, 0)));
  json before = RowToJson(e, r, 0);
  if (!before["archived_at"].is_null()) return before;  // archiving twice is a no-op
  if (e.name == "units") {
    // A unit with live sub-units or members cannot be archived: move or archive them first.
    Value u[] = {p.tenant_id, id, p.tenant_id, id};
    KEEL_ASSIGN_OR_RETURN(store::Rows busy, conn->Query(
        "SELECT (SELECT COUNT(*) FROM units WHERE tenant_id = ? AND parent_id = ? AND archived_at IS NULL) + "
        "(SELECT COUNT(*) FROM users WHERE tenant_id = ? AND unit_id = ? AND archived_at IS NULL)", u));
    if (store::AsInt(busy.rows[0][0]) > 0) {
      return Conflict("unit.not_empty", "this unit still has active sub-units or members",
                      "该单元下仍有未归档的下级单元或成员");
    }
  }
  if (e.name == "expenses" && !p.is_system()) {
    // A submitted claim holds budget and an approval; a posted one is in the ledger.
    std::string status = before.value("status", "");
    if (status != "draft" && status != "rejected") {
      return Conflict("expense.locked", "the claim is " + status + " and can no longer be archived",
                      "报销单状态为 " + status + "，不能归档", "status");
    }
  }
  if (e.name == "users" && id == p.user_id) {
    return Conflict("user.archive_self", "you cannot archive your own user",
                    "不能归档自己的账号");
  }
  Value q[] = {ctx.now_text, ctx.now_text, p.tenant_id, id};
  KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE " + e.name + " SET archived_at = ?, updated_at = ? "
                                  "WHERE tenant_id = ? AND id = ?", q).status());
  if (e.name == "users") KEEL_RETURN_IF_ERROR(RecordRules::RevokeSessions(ctx, id));
  json after = before;
  after["archived_at"] = ctx.now_text;
  after["updated_at"] = ctx.now_text;
  RecordRules::Emit(ctx, e.singular + ".archived", e.name, id, {{"id", id}});
  ctx.audits.push_back({"archive", e.name, id, before, after});
  KEEL_RETURN_IF_ERROR(Finish(ctx));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return after;
}

Result<json> RecordService::ConvertLead(const Principal& p, int64_t lead_id, const json& body,
                                        const WriteOptions& opt) {
  const EntityDef& leads = *FindEntity("leads");
  if (!leads.CanWrite(p.role)) return Forbidden("your role may not convert leads", "您的角色无权转化线索");
  KEEL_RETURN_IF_ERROR(CheckObject(body, {"customer_id", "customer", "opportunity"}));
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(Ctx ctx, Begin(p, opt, conn));
  std::vector<Value> params = {p.tenant_id, lead_id};
  std::string sql = SelectSql(leads) + " WHERE tenant_id = ? AND id = ?" + ScopeClause(p, leads, params);
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(sql, params));
  if (r.empty()) return Status::NotFound(leads.en);
  json lead = RowToJson(leads, r, 0);
  std::string status = lead["status"];
  if (status != "qualified" && status != "working") {
    return Conflict("lead.not_convertible",
                    "only a working or qualified lead can be converted (this one is " + status + ")",
                    "只有跟进中或已确认的线索可以转化（当前为 " + status + "）", "status");
  }
  if (!lead["archived_at"].is_null()) {
    return Conflict("record.archived", "this lead is archived", "该线索已归档");
  }
  json owner = {{"owner_id", lead["owner_id"]}, {"unit_id", lead["unit_id"]}};
  int64_t customer_id = 0;
  if (body.contains("customer_id")) {
    if (!body["customer_id"].is_number_integer()) {
      return Status::Invalid("validation.type", "customer_id must be an id", "customer_id 应为记录 ID",
                             "customer_id");
    }
    customer_id = body["customer_id"].get<int64_t>();
    KEEL_RETURN_IF_ERROR(RecordRules::CheckRef(ctx, *FindEntity("leads")->Field("customer_id"),
                                               customer_id));
  } else if (!lead["customer_id"].is_null()) {
    customer_id = lead["customer_id"].get<int64_t>();
  } else {
    json c = body.value("customer", json::object());
    if (!c.is_object()) {
      return Status::Invalid("validation.type", "customer must be an object", "customer 应为对象",
                             "customer");
    }
    if (!c.contains("name")) {
      c["name"] = !lead["company"].is_null() ? lead["company"] : !lead["contact_name"].is_null()
                                                                    ? lead["contact_name"]
                                                                    : lead["title"];
    }
    if (!c.contains("code")) c["code"] = "L" + std::to_string(lead_id);
    if (!c.contains("kind")) c["kind"] = lead["company"].is_null() ? "retail" : "b2b";
    for (const char* k : {"phone", "email", "region", "city"}) {
      if (!c.contains(k) && !lead[k].is_null()) c[k] = lead[k];
    }
    if (!c.contains("source")) c["source"] = lead["source"];
    for (auto& [k, val] : owner.items()) {
      if (!c.contains(k)) c[k] = val;
    }
    auto created = CreateIn(ctx, *FindEntity("customers"), c);
    if (!created.ok()) return created.status().WithFieldPrefix("customer");
    customer_id = (*created)["id"].get<int64_t>();
    if (!lead["contact_name"].is_null()) {
      json ct = {{"customer_id", customer_id}, {"name", lead["contact_name"]}, {"is_primary", true}};
      if (!lead["phone"].is_null()) ct["phone"] = lead["phone"];
      if (!lead["email"].is_null()) ct["email"] = lead["email"];
      auto contact = CreateIn(ctx, *FindEntity("contacts"), ct);
      if (!contact.ok()) return contact.status().WithFieldPrefix("contact");
    }
  }
  json o = body.value("opportunity", json::object());
  if (!o.is_object()) {
    return Status::Invalid("validation.type", "opportunity must be an object", "opportunity 应为对象",
                           "opportunity");
  }
  o["customer_id"] = customer_id;
  if (!o.contains("name")) o["name"] = lead["title"];
  if (!o.contains("amount")) o["amount"] = 0;
  if (!o.contains("source")) o["source"] = lead["source"];
  for (auto& [k, val] : owner.items()) {
    if (!o.contains(k)) o[k] = val;
  }
  auto opp = CreateIn(ctx, *FindEntity("opportunities"), o);
  if (!opp.ok()) return opp.status().WithFieldPrefix("opportunity");
  int64_t opp_id = (*opp)["id"].get<int64_t>();
  Value u[] = {Value("converted"), ctx.now_text, Value(customer_id), Value(opp_id), ctx.now_text,
               p.tenant_id, lead_id};
  KEEL_RETURN_IF_ERROR(conn->Exec(
      "UPDATE leads SET status = ?, converted_at = ?, customer_id = ?, opportunity_id = ?, "
      "updated_at = ?, first_response_at = COALESCE(first_response_at, converted_at) "
      "WHERE tenant_id = ? AND id = ?", u).status());
  Value link[] = {lead_id, p.tenant_id, opp_id};
  KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE opportunities SET lead_id = ? WHERE tenant_id = ? AND id = ?",
                                  link).status());
  json after = lead;
  after["status"] = "converted";
  after["converted_at"] = ctx.now_text;
  after["customer_id"] = customer_id;
  after["opportunity_id"] = opp_id;
  after["updated_at"] = ctx.now_text;
  RecordRules::Emit(ctx, "lead.converted", "leads", lead_id,
                    {{"customer_id", customer_id}, {"opportunity_id", opp_id},
                     {"owner_id", lead["owner_id"]}, {"unit_id", lead["unit_id"]},
                     {"source", lead["source"]}});
  ctx.audits.push_back({"convert", "leads", lead_id, lead, after});
  KEEL_RETURN_IF_ERROR(Finish(ctx));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  json opp_json = *opp;
  opp_json["lead_id"] = lead_id;
  return json{{"lead", after}, {"customer_id", customer_id}, {"opportunity", opp_json}};
}

Result<RecordService::Ctx> RecordService::Begin(const Principal& p, const WriteOptions& opt,
                                                store::PooledConnection& conn) {
  if ((opt.at || !opt.record_times.empty()) && !p.is_system() && !p.import) {
    return Forbidden("only imports may set the write time", "只有导入任务可以指定写入时间");
  }
  Ctx ctx{p, *conn};
  ctx.now = opt.at ? *opt.at : clock_.NowMs();
  ctx.now_text = FormatTimestamp(ctx.now);
  ctx.request_id = opt.request_id.empty() ? p.request_id : opt.request_id;
  ctx.checked = opt.checked;
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  {
    std::lock_guard g(tenants_mu_);
    auto it = tenants_.find(p.tenant_id);
    if (it != tenants_.end()) ctx.tenant = it->second;
  }
  if (ctx.tenant.id == 0) {
    // Read on the connection we hold: borrowing a second one could exhaust the pool.
    KEEL_ASSIGN_OR_RETURN(ctx.tenant, LoadTenant(*conn, p.tenant_id));
    std::lock_guard g(tenants_mu_);
    tenants_[p.tenant_id] = ctx.tenant;
  }
  return ctx;
}

Status RecordService::Finish(Ctx& ctx) {
  KEEL_RETURN_IF_ERROR(events::Append(ctx.conn, ctx.p.tenant_id, ctx.events).status());
  return AuditChanges(ctx.conn, ctx.p, ctx.now_text, ctx.audits, ctx.request_id);
}

Result<TenantInfo> RecordService::Tenant(int64_t tenant_id) {
  {
    std::lock_guard g(tenants_mu_);
    auto it = tenants_.find(tenant_id);
    if (it != tenants_.end()) return it->second;
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(TenantInfo t, LoadTenant(*conn, tenant_id));
  std::lock_guard g(tenants_mu_);
  tenants_[tenant_id] = t;
  return t;
}

json RecordService::TenantJson(const TenantInfo& t) {
  return {{"id", t.id},           {"code", t.code},         {"name", t.name},
          {"time_zone", t.time_zone}, {"currency", t.currency}, {"locale", t.locale},
          {"status", t.status}};
}

Result<json> RecordService::UpdateTenant(const Principal& p, const json& patch) {
  if (p.role != Role::kAdmin) return Forbidden("only an admin may change the tenant", "只有管理员可以修改租户设置");
  if (!patch.is_object()) {
    return Status::Invalid("validation.body", "the body must be a JSON object", "请求体必须是 JSON 对象");
  }
  KEEL_ASSIGN_OR_RETURN(TenantInfo t, Tenant(p.tenant_id));
  TenantInfo before = t;
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string& k = it.key();
    FieldDef f;
    f.name = k;
    if (k == "name") {
      f.type = FieldType::kString;
      f.required = true;
      KEEL_ASSIGN_OR_RETURN(Value v, ToValue(f, it.value()));
      t.name = store::AsText(v);
    } else if (k == "time_zone") {
      if (!it.value().is_string() || !IsKnownTimeZone(it.value().get<std::string>())) {
        return Status::Invalid("validation.time_zone", "time_zone must be an IANA zone such as Asia/Shanghai",
                               "time_zone 应为 IANA 时区，如 Asia/Shanghai", k);
      }
      t.time_zone = it.value();
    } else if (k == "currency") {
      f.type = FieldType::kCurrency;
      KEEL_ASSIGN_OR_RETURN(Value v, ToValue(f, it.value()));
      if (store::IsNull(v)) return Required(k);
      t.currency = store::AsText(v);
    } else if (k == "locale") {
      f.type = FieldType::kEnum;
      f.values = {"zh-CN", "en"};
      KEEL_ASSIGN_OR_RETURN(Value v, ToValue(f, it.value()));
      if (store::IsNull(v)) return Required(k);
      t.locale = store::AsText(v);
    } else {
      return Status::Invalid(it.key() == "code" || it.key() == "id" ? "validation.read_only"
                                                                    : "validation.unknown_field",
                             "field '" + k + "' cannot be changed", "字段 '" + k + "' 不能修改", k);
    }
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(Ctx ctx, Begin(p, {}, conn));
  Value q[] = {t.name, t.time_zone, t.currency, t.locale, ctx.now_text, p.tenant_id};
  KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE tenants SET name = ?, time_zone = ?, currency = ?, "
                                  "locale = ?, updated_at = ? WHERE id = ?", q).status());
  RecordRules::Emit(ctx, "tenant.updated", "tenants", p.tenant_id, TenantJson(t));
  ctx.audits.push_back({"update", "tenants", p.tenant_id, TenantJson(before), TenantJson(t)});
  KEEL_RETURN_IF_ERROR(Finish(ctx));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  std::lock_guard g(tenants_mu_);
  tenants_[p.tenant_id] = t;
  return TenantJson(t);
}

}  // namespace keel::domain
