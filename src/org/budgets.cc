#include "org/budgets.h"

#include <algorithm>
#include <cmath>

#include "domain/audit.h"
#include "domain/unit_tree.h"
#include "domain/codec.h"
#include "events/event_log.h"
#include "org/internal.h"

namespace keel::org {

using store::Value;

const std::vector<std::string> kBudgetCategories = {"marketing", "travel", "samples", "promotions", "training", "other"};


BudgetService::BudgetService(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

bool BudgetService::Visible(store::Connection& conn, const Principal& p, int64_t unit) {
  if (domain::SeesWholeTenant(p.role) || p.is_system()) return true;
  Value q[] = {p.tenant_id, unit};
  auto r = conn.Query("SELECT path FROM units WHERE tenant_id = ? AND id = ?", q);
  return r.ok() && !r->empty() && store::AsText(r->rows[0][0]).rfind(p.unit_path, 0) == 0;
}

Status BudgetService::CheckSource(store::Connection& conn, const Principal& p, const json& body) {
  // The documents money is spent on; each table has a unit_id (promotions may have none: all units).
  static const std::vector<std::string> kSources = {"promotions", "contracts", "quotes", "orders", "expenses", "materials"};
  auto bad = [] {
    return Status::Invalid("budget.source",
                           "a spend names its source document: source_object (promotions, contracts, quotes, orders, expenses or materials) "
                           "and source_id",
                           "直接使用预算须注明来源单据：source_object（promotions、contracts、quotes、orders、expenses 或 materials）与 source_id",
                           "source_object");
  };
  auto object = body.find("source_object");
  auto id = body.find("source_id");
  if (object == body.end() || !object->is_string() || id == body.end() || !id->is_number_integer()) return bad();
  const std::string table = object->get<std::string>();
  if (std::find(kSources.begin(), kSources.end(), table) == kSources.end()) return bad();
  Value q[] = {p.tenant_id, id->get<int64_t>()};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT unit_id FROM " + table + " WHERE tenant_id = ? AND id = ? AND archived_at IS NULL", q));
  if (r.empty() || (!store::IsNull(r.rows[0][0]) && !Visible(conn, p, store::AsInt(r.rows[0][0])))) {
    return Status::Invalid("budget.source", "no " + table + " record " + std::to_string(id->get<int64_t>()) + " that you can see",
                           "不存在您可见的来源单据 " + table + " " + std::to_string(id->get<int64_t>()), "source_id");
  }
  return Status();
}

Result<json> BudgetService::Describe(store::Connection& conn, int64_t tenant, int64_t id, bool entries) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT b.id, b.unit_id, u.name, b.category, b.period, b.period_start, b.period_end, b.amount, b.committed, b.updated_at FROM budgets b "
      "JOIN units u ON u.tenant_id = b.tenant_id AND u.id = b.unit_id WHERE b.tenant_id = ? AND b.id = ?", q));
  if (r.empty()) return Status::NotFound("budget");
  const auto& row = r.rows[0];
  double amount = static_cast<double>(store::AsInt(row[7])) / 100, committed = static_cast<double>(store::AsInt(row[8])) / 100;
  json out = {{"id", store::AsInt(row[0])}, {"unit_id", store::AsInt(row[1])}, {"unit", store::AsText(row[2])},
              {"category", store::AsText(row[3])}, {"period", store::AsText(row[4])}, {"period_start", store::AsText(row[5])},
              {"period_end", store::AsText(row[6])}, {"amount", amount}, {"committed", committed},
              {"remaining", std::round((amount - committed) * 100) / 100}, {"updated_at", store::AsText(row[9])}};
  if (entries) {
    KEEL_ASSIGN_OR_RETURN(store::Rows e, conn.Query(
        "SELECT id, amount, kind, source_object, source_id, note, actor_id, at FROM budget_entries WHERE tenant_id = ? AND budget_id = ? ORDER BY id", q));
    json list = json::array();
    for (const auto& x : e.rows) {
      list.push_back({{"id", store::AsInt(x[0])}, {"amount", static_cast<double>(store::AsInt(x[1])) / 100}, {"kind", store::AsText(x[2])},
                      {"source_object", store::IsNull(x[3]) ? json(nullptr) : json(store::AsText(x[3]))},
                      {"source_id", store::IsNull(x[4]) ? json(nullptr) : json(store::AsInt(x[4]))},
                      {"note", store::IsNull(x[5]) ? json(nullptr) : json(store::AsText(x[5]))},
                      {"actor_id", store::IsNull(x[6]) ? json(nullptr) : json(store::AsInt(x[6]))}, {"at", store::AsText(x[7])}});
    }
    out["entries"] = list;
  }
  return out;
}

Result<json> BudgetService::Set(const Principal& p, const json& body) {
  if (!IsHq(p)) return Status::Error(ErrorKind::kForbidden, "forbidden", "only HQ allocates budgets", "只有总部可以分配预算");
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"unit_id", "category", "period", "amount"}));
  if (!body.contains("unit_id") || !body["unit_id"].is_number_integer()) return Bad("validation.required", "unit_id is required", "unit_id 为必填项", "unit_id");
  std::string category = body.value("category", json("")).is_string() ? body.value("category", "") : "";
  if (std::find(kBudgetCategories.begin(), kBudgetCategories.end(), category) == kBudgetCategories.end()) {
    return Bad("validation.enum", "category is one of: marketing, travel, samples, promotions, training, other",
               "category 只能取：marketing、travel、samples、promotions、training、other", "category");
  }
  std::string period = body.value("period", json("")).is_string() ? body.value("period", "") : "";
  KEEL_ASSIGN_OR_RETURN(auto days, PeriodDays(period));
  if (!body.contains("amount")) return Bad("validation.required", "amount is required", "amount 为必填项", "amount");
  KEEL_ASSIGN_OR_RETURN(int64_t amount, Fen(body["amount"], "amount"));
  int64_t unit = body["unit_id"].get<int64_t>();
  int64_t id = 0;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
    KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
    Value uq[] = {p.tenant_id, unit};
    KEEL_ASSIGN_OR_RETURN(store::Rows u, conn->Query("SELECT 1 FROM units WHERE tenant_id = ? AND id = ? AND archived_at IS NULL", uq));
    if (u.empty()) return Bad("validation.reference", "no such unit in this tenant", "本租户没有该单元", "unit_id");
    Value q[] = {p.tenant_id, unit, category, period};
    KEEL_ASSIGN_OR_RETURN(store::Rows ex, conn->Query(
        "SELECT id, committed FROM budgets WHERE tenant_id = ? AND unit_id = ? AND category = ? AND period = ?", q));
    std::string now = FormatTimestamp(clock_.NowMs());
    if (ex.empty()) {
      KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
      id = ids[0];
      Value ins[] = {p.tenant_id, id, unit, category, period, days.first, days.second, amount, now, now, p.user_id ? Value(p.user_id) : Value()};
      KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO budgets (tenant_id, id, unit_id, category, period, period_start, period_end, amount, committed, "
                                      "created_at, updated_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)", ins).status());
    }
    int64_t delta = amount;
    json audit_before = nullptr;
    if (!ex.empty()) {
      id = store::AsInt(ex.rows[0][0]);
      Value cur[] = {p.tenant_id, id};
      KEEL_ASSIGN_OR_RETURN(store::Rows before, conn->Query("SELECT amount FROM budgets WHERE tenant_id = ? AND id = ?", cur));
      delta = amount - store::AsInt(before.rows[0][0]);
      audit_before = {{"id", id}, {"unit_id", unit}, {"category", category}, {"period", period}, {"amount", Yuan(store::AsInt(before.rows[0][0]))},
                      {"committed", Yuan(store::AsInt(ex.rows[0][1]))}};
      // Conditional, like a spend: a spend committed meanwhile cannot leave the budget below it.
      Value up[] = {amount, now, p.tenant_id, id, amount};
      KEEL_ASSIGN_OR_RETURN(int64_t n, conn->Exec("UPDATE budgets SET amount = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND committed <= ?", up));
      if (n != 1) {
        return Status::Error(ErrorKind::kConflict, "budget.below_committed", "the new amount is below what is already committed",
                             "新预算低于已占用金额", "amount");
      }
    }
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> eids, conn->AllocateIds(1));
    Value e[] = {p.tenant_id, eids[0], id, delta, std::string("allocation"), p.user_id ? Value(p.user_id) : Value(), now};
    KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO budget_entries (tenant_id, id, budget_id, amount, kind, actor_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                    e).status());
    json audit_after = {{"id", id}, {"unit_id", unit}, {"category", category}, {"period", period}, {"amount", Yuan(amount)}};
    KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, clock_.NowMs(), {ex.empty() ? "create" : "update", "budgets", id, audit_before, audit_after}));
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  return Describe(*conn, p.tenant_id, id, false);
}

Result<json> BudgetService::List(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query) {
  std::string where = " WHERE b.tenant_id = ?";
  std::vector<Value> params = {p.tenant_id};
  for (const auto& [k, v] : query) {
    if (k == "unit_id") {
      char* end = nullptr;
      long long x = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || x <= 0) return Bad("validation.parameter", "unit_id must be a positive id", "unit_id 应为正整数 ID", k);
      where += " AND b.unit_id = ?";
      params.emplace_back(static_cast<int64_t>(x));
    } else if (k == "period" || k == "category") {
      where += " AND b." + k + " = ?";
      params.emplace_back(v);
    } else {
      return Bad("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
    }
  }
  if (!domain::SeesWholeTenant(p.role) && !p.is_system()) {
    where += domain::UnitTree::PathWithin("u.path", p.unit_path, params);
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT b.id FROM budgets b JOIN units u ON u.tenant_id = b.tenant_id AND u.id = b.unit_id" + where + " ORDER BY u.path, b.category, b.period", params));
  json items = json::array();
  for (const auto& row : r.rows) {
    KEEL_ASSIGN_OR_RETURN(json b, Describe(*conn, p.tenant_id, store::AsInt(row[0]), false));
    items.push_back(std::move(b));
  }
  return json{{"items", items}};
}

Result<json> BudgetService::Get(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(json b, Describe(*conn, p.tenant_id, id, true));
  if (!Visible(*conn, p, b["unit_id"].get<int64_t>())) return Status::NotFound("budget");
  return b;
}

Result<json> BudgetService::Spend(const Principal& p, int64_t id, const json& body) { return Move(p, id, body, true); }
Result<json> BudgetService::Release(const Principal& p, int64_t id, const json& body) { return Move(p, id, body, false); }

Result<json> BudgetService::Move(const Principal& p, int64_t id, const json& body, bool spend) {
  if (domain::IsReadOnly(p.role)) return Status::Error(ErrorKind::kForbidden, "forbidden", "read-only roles do not spend", "只读角色不能使用预算");
  if (!IsHq(p) && p.role != domain::Role::kUnitLead) {
    return spend ? Status::Error(ErrorKind::kForbidden, "forbidden",
                                 "only unit leads and HQ spend a budget directly; claims, quotes and contracts commit money for everyone else",
                                 "只有战队负责人和总部可以直接使用预算；其他人通过报销、报价和合同占用预算")
                 : Status::Error(ErrorKind::kForbidden, "forbidden", "only unit leads and HQ give money back to a budget", "只有战队负责人和总部可以释放预算");
  }
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"amount", "note", "source_object", "source_id"}));
  if (!body.contains("amount")) return Bad("validation.required", "amount is required", "amount 为必填项", "amount");
  KEEL_ASSIGN_OR_RETURN(int64_t amount, Fen(body["amount"], "amount"));
  if (amount == 0) return Bad("validation.range", "amount must be more than 0", "amount 须大于 0", "amount");
  std::string note = body.value("note", json("")).is_string() ? body.value("note", "") : "";
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  {
    Value q[] = {p.tenant_id, id};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query("SELECT unit_id, amount, committed FROM budgets WHERE tenant_id = ? AND id = ?", q));
    if (r.empty() || !Visible(*conn, p, store::AsInt(r.rows[0][0]))) return Status::NotFound("budget");
  }
  if (spend && !p.is_system()) KEEL_RETURN_IF_ERROR(CheckSource(*conn, p, body));
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  std::string now = FormatTimestamp(clock_.NowMs());
  // The check and the commit are one statement: concurrent spends cannot both pass it.
  Value up[] = {spend ? amount : -amount, now, p.tenant_id, id, amount};
  KEEL_ASSIGN_OR_RETURN(int64_t changed, conn->Exec(
      spend ? "UPDATE budgets SET committed = committed + ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND committed + ? <= amount"
            : "UPDATE budgets SET committed = committed + ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND committed - ? >= 0",
      up));
  if (changed != 1) {
    Value q[] = {p.tenant_id, id};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query("SELECT amount, committed FROM budgets WHERE tenant_id = ? AND id = ?", q));
    double left = static_cast<double>(store::AsInt(r.rows[0][0]) - store::AsInt(r.rows[0][1])) / 100;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", spend ? left : static_cast<double>(store::AsInt(r.rows[0][1])) / 100);
    if (spend) {
      return Status::Error(ErrorKind::kConflict, "budget.exceeded", std::string("the budget has only ") + buf + " yuan left",
                           std::string("预算余额不足，仅剩 ") + buf + " 元", "amount");
    }
    return Status::Error(ErrorKind::kConflict, "budget.release", std::string("only ") + buf + " yuan is committed", std::string("仅占用 ") + buf + " 元",
                         "amount");
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> eids, conn->AllocateIds(1));
  Value e[] = {p.tenant_id, eids[0], id, spend ? amount : -amount, std::string(spend ? "spend" : "release"),
               body.contains("source_object") && body["source_object"].is_string() ? Value(body["source_object"].get<std::string>()) : Value(),
               body.contains("source_id") && body["source_id"].is_number_integer() ? Value(body["source_id"].get<int64_t>()) : Value(),
               note.empty() ? Value() : Value(note), p.user_id ? Value(p.user_id) : Value(), now};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO budget_entries (tenant_id, id, budget_id, amount, kind, source_object, source_id, note, actor_id, at) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", e).status());
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return Describe(*conn, p.tenant_id, id, false);
}

Status BudgetService::Transfer(int64_t tenant, int64_t from, int64_t to, int64_t fen, int64_t transfer_id, int64_t actor) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  std::string now = FormatTimestamp(clock_.NowMs());
  Value out[] = {fen, now, tenant, from, fen};
  KEEL_ASSIGN_OR_RETURN(int64_t taken, conn->Exec(
      "UPDATE budgets SET amount = amount - ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND amount - committed >= ?", out));
  if (taken != 1) {
    return Status::Error(ErrorKind::kConflict, "budget.exceeded", "the budget no longer has that much unspent", "调出预算的未使用余额已不足",
                         "amount");
  }
  Value in[] = {fen, now, tenant, to};
  KEEL_ASSIGN_OR_RETURN(int64_t given, conn->Exec("UPDATE budgets SET amount = amount + ?, updated_at = ? WHERE tenant_id = ? AND id = ?", in));
  if (given != 1) return Status::NotFound("budget", "to_budget_id");
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(2));
  for (int k = 0; k < 2; ++k) {
    Value e[] = {tenant, ids[k], k == 0 ? from : to, k == 0 ? -fen : fen, std::string(k == 0 ? "transfer_out" : "transfer_in"),
                 std::string("budget_transfers"), transfer_id, actor ? Value(actor) : Value(), now};
    KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO budget_entries (tenant_id, id, budget_id, amount, kind, source_object, source_id, actor_id, at) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", e).status());
  }
  return tx.Commit();
}

Result<int64_t> BudgetService::Find(int64_t tenant, int64_t unit, const std::string& category, const std::string& day) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  Value q[] = {tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows path, conn->Query("SELECT path FROM units WHERE tenant_id = ? AND id = ?", q));
  if (path.empty()) return Status::NotFound("unit");
  std::vector<int64_t> chain = PathIds(store::AsText(path.rows[0][0]));
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    // The narrowest period first (a month's budget over the quarter's over the year's).
    Value b[] = {tenant, *it, category, day, day};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
        "SELECT id FROM budgets WHERE tenant_id = ? AND unit_id = ? AND category = ? AND period_start <= ? AND period_end >= ? "
        "ORDER BY period_start DESC, period_end ASC LIMIT 1", b));
    if (!r.empty()) return store::AsInt(r.rows[0][0]);
  }
  return Status::Error(ErrorKind::kNotFound, "budget.none", "no " + category + " budget covers this unit on " + day,
                       "该单元在 " + day + " 没有 " + category + " 类预算", "category");
}

}  // namespace keel::org
