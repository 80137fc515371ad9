#include "org/budgets.h"

#include <algorithm>
#include <cmath>

#include "domain/audit.h"
#include "domain/unit_tree.h"
#include "events/event_log.h"
#include "org/internal.h"
#include "org/store/budgets.h"
#include "org/store/shared.h"

namespace keel::org {

const std::vector<std::string> kBudgetCategories = {"marketing", "travel", "samples", "promotions", "training", "other"};


BudgetService::BudgetService(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

bool BudgetService::Visible(store::Connection& conn, const Principal& p, int64_t unit) {
  if (domain::SeesWholeTenant(p.role) || p.is_system()) return true;
  auto path = repo::UnitPath(conn, p.tenant_id, unit);
  return path.ok() && path->has_value() && (*path)->rfind(p.unit_path, 0) == 0;
}

Status BudgetService::CheckSource(store::Connection& conn, const Principal& p, const BudgetMove& move) {
  // The documents money is spent on; each table has a unit_id (promotions may have none: all units).
  static const std::vector<std::string> kSources = {"promotions", "contracts", "quotes", "orders", "expenses", "materials"};
  auto bad = [] {
    return Status::Invalid("budget.source",
                           "a spend names its source document: source_object (promotions, contracts, quotes, orders, expenses or materials) "
                           "and source_id",
                           "直接使用预算须注明来源单据：source_object（promotions、contracts、quotes、orders、expenses 或 materials）与 source_id",
                           "source_object");
  };
  if (!move.source_object || !move.source_id) return bad();
  const std::string& table = *move.source_object;
  const int64_t id = *move.source_id;
  if (std::find(kSources.begin(), kSources.end(), table) == kSources.end()) return bad();
  KEEL_ASSIGN_OR_RETURN(auto unit, repo::SourceUnit(conn, table, p.tenant_id, id));
  if (!unit || (*unit && !Visible(conn, p, **unit))) {
    return Status::Invalid("budget.source", "no " + table + " record " + std::to_string(id) + " that you can see",
                           "不存在您可见的来源单据 " + table + " " + std::to_string(id), "source_id");
  }
  return Status();
}

Result<Budget> BudgetService::Describe(store::Connection& conn, int64_t tenant, int64_t id, bool entries) {
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::BudgetRow> b, repo::LoadBudget(conn, tenant, id));
  if (!b) return Status::NotFound("budget");
  Budget out{.id = b->id, .unit_id = b->unit_id, .unit = b->unit, .category = b->category, .period = b->period,
             .period_start = b->period_start, .period_end = b->period_end, .amount_fen = b->amount_fen,
             .committed_fen = b->committed_fen, .updated_at = b->updated_at};
  if (entries) {
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::BudgetEntryRow> e, repo::LoadBudgetEntries(conn, tenant, id));
    out.entries.emplace();
    for (const auto& x : e) {
      out.entries->push_back({.id = x.id, .amount_fen = x.amount_fen, .kind = x.kind, .source_object = x.source_object, .note = x.note,
                              .source_id = x.source_id, .actor_id = x.actor_id, .at = x.at});
    }
  }
  return out;
}

Result<Budget> BudgetService::Set(const Principal& p, const BudgetAllocation& allocation) {
  if (!IsHq(p)) return Status::Error(ErrorKind::kForbidden, "forbidden", "only HQ allocates budgets", "只有总部可以分配预算");
  KEEL_RETURN_IF_ERROR(allocation.problem);
  if (!allocation.unit_id) return Bad("validation.required", "unit_id is required", "unit_id 为必填项", "unit_id");
  const std::string& category = allocation.category;
  if (std::find(kBudgetCategories.begin(), kBudgetCategories.end(), category) == kBudgetCategories.end()) {
    return Bad("validation.enum", "category is one of: marketing, travel, samples, promotions, training, other",
               "category 只能取：marketing、travel、samples、promotions、training、other", "category");
  }
  const std::string& period = allocation.period;
  KEEL_ASSIGN_OR_RETURN(auto days, PeriodDays(period));
  if (!allocation.amount) return Bad("validation.required", "amount is required", "amount 为必填项", "amount");
  KEEL_ASSIGN_OR_RETURN(int64_t amount, Fen(*allocation.amount, "amount"));
  int64_t unit = *allocation.unit_id;
  int64_t id = 0;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
    KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
    KEEL_ASSIGN_OR_RETURN(std::optional<std::string> unit_path, repo::UnitPath(*conn, p.tenant_id, unit, /*live_only=*/true));
    if (!unit_path) return Bad("validation.reference", "no such unit in this tenant", "本租户没有该单元", "unit_id");
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::BudgetRow> ex, repo::FindBudget(*conn, p.tenant_id, unit, category, period));
    std::string now = FormatTimestamp(clock_.NowMs());
    if (!ex) {
      KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
      id = ids[0];
      KEEL_RETURN_IF_ERROR(repo::InsertBudget(*conn, p.tenant_id,
                                              {.id = id, .unit_id = unit, .category = category, .period = period, .period_start = days.first,
                                               .period_end = days.second, .amount_fen = amount},
                                              now, ActorOf(p)));
    }
    int64_t delta = amount;
    nlohmann::json audit_before = nullptr;
    if (ex) {
      id = ex->id;
      delta = amount - ex->amount_fen;
      audit_before = {{"id", id}, {"unit_id", unit}, {"category", category}, {"period", period}, {"amount", Yuan(ex->amount_fen)},
                      {"committed", Yuan(ex->committed_fen)}};
      // Conditional, like a spend: a spend committed meanwhile cannot leave the budget below it.
      KEEL_ASSIGN_OR_RETURN(int64_t n, repo::SetBudgetAmount(*conn, p.tenant_id, id, amount, now));
      if (n != 1) {
        return Status::Error(ErrorKind::kConflict, "budget.below_committed", "the new amount is below what is already committed",
                             "新预算低于已占用金额", "amount");
      }
    }
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> eids, conn->AllocateIds(1));
    KEEL_RETURN_IF_ERROR(repo::InsertBudgetEntry(
        *conn, p.tenant_id, {.id = eids[0], .budget_id = id, .amount_fen = delta, .kind = "allocation", .actor_id = ActorOf(p), .at = now}));
    nlohmann::json audit_after = {{"id", id}, {"unit_id", unit}, {"category", category}, {"period", period}, {"amount", Yuan(amount)}};
    KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, clock_.NowMs(), {!ex ? "create" : "update", "budgets", id, audit_before, audit_after}));
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  return Describe(*conn, p.tenant_id, id, false);
}

Result<std::vector<Budget>> BudgetService::List(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query) {
  repo::BudgetFilter filter;
  for (const auto& [k, v] : query) {
    if (k == "unit_id") {
      char* end = nullptr;
      long long x = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || x <= 0) return Bad("validation.parameter", "unit_id must be a positive id", "unit_id 应为正整数 ID", k);
      filter.unit_id = static_cast<int64_t>(x);
    } else if (k == "period" || k == "category") {
      (k == "period" ? filter.period : filter.category) = v;
    } else {
      return Bad("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
    }
  }
  if (!domain::SeesWholeTenant(p.role) && !p.is_system()) {
    filter.within = p.unit_path;
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, repo::ListBudgetIds(*conn, p.tenant_id, filter));
  std::vector<Budget> items;
  for (int64_t id : ids) {
    KEEL_ASSIGN_OR_RETURN(Budget b, Describe(*conn, p.tenant_id, id, false));
    items.push_back(std::move(b));
  }
  return items;
}

Result<Budget> BudgetService::Get(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(Budget b, Describe(*conn, p.tenant_id, id, true));
  if (!Visible(*conn, p, b.unit_id)) return Status::NotFound("budget");
  return b;
}

Result<Budget> BudgetService::Spend(const Principal& p, int64_t id, const BudgetMove& move) { return Move(p, id, move, true); }
Result<Budget> BudgetService::Release(const Principal& p, int64_t id, const BudgetMove& move) { return Move(p, id, move, false); }

Result<Budget> BudgetService::Move(const Principal& p, int64_t id, const BudgetMove& move, bool spend) {
  if (domain::IsReadOnly(p.role)) return Status::Error(ErrorKind::kForbidden, "forbidden", "read-only roles do not spend", "只读角色不能使用预算");
  if (!IsHq(p) && p.role != domain::Role::kUnitLead) {
    return spend ? Status::Error(ErrorKind::kForbidden, "forbidden",
                                 "only unit leads and HQ spend a budget directly; claims, quotes and contracts commit money for everyone else",
                                 "只有战队负责人和总部可以直接使用预算；其他人通过报销、报价和合同占用预算")
                 : Status::Error(ErrorKind::kForbidden, "forbidden", "only unit leads and HQ give money back to a budget", "只有战队负责人和总部可以释放预算");
  }
  KEEL_RETURN_IF_ERROR(move.problem);
  if (!move.amount) return Bad("validation.required", "amount is required", "amount 为必填项", "amount");
  KEEL_ASSIGN_OR_RETURN(int64_t amount, Fen(*move.amount, "amount"));
  if (amount == 0) return Bad("validation.range", "amount must be more than 0", "amount 须大于 0", "amount");
  const std::string& note = move.note;
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  {
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::BudgetRow> b, repo::LoadBudget(*conn, p.tenant_id, id));
    if (!b || !Visible(*conn, p, b->unit_id)) return Status::NotFound("budget");
  }
  if (spend && !p.is_system()) KEEL_RETURN_IF_ERROR(CheckSource(*conn, p, move));
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  std::string now = FormatTimestamp(clock_.NowMs());
  // The check and the commit are one statement: concurrent spends cannot both pass it.
  KEEL_ASSIGN_OR_RETURN(int64_t changed, spend ? repo::CommitToBudget(*conn, p.tenant_id, id, amount, now)
                                                : repo::ReleaseFromBudget(*conn, p.tenant_id, id, amount, now));
  if (changed != 1) {
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::BudgetRow> b, repo::LoadBudget(*conn, p.tenant_id, id));
    if (!b) return Status::NotFound("budget");
    double left = static_cast<double>(b->amount_fen - b->committed_fen) / 100;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", spend ? left : static_cast<double>(b->committed_fen) / 100);
    if (spend) {
      return Status::Error(ErrorKind::kConflict, "budget.exceeded", std::string("the budget has only ") + buf + " yuan left",
                           std::string("预算余额不足，仅剩 ") + buf + " 元", "amount");
    }
    return Status::Error(ErrorKind::kConflict, "budget.release", std::string("only ") + buf + " yuan is committed", std::string("仅占用 ") + buf + " 元",
                         "amount");
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> eids, conn->AllocateIds(1));
  repo::BudgetEntryRow entry = {.id = eids[0], .budget_id = id, .amount_fen = spend ? amount : -amount, .kind = spend ? "spend" : "release",
                                .actor_id = ActorOf(p), .at = now};
  entry.source_object = move.source_object;
  entry.source_id = move.source_id;
  if (!note.empty()) entry.note = note;
  KEEL_RETURN_IF_ERROR(repo::InsertBudgetEntry(*conn, p.tenant_id, entry));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return Describe(*conn, p.tenant_id, id, false);
}

Status BudgetService::Transfer(int64_t tenant, int64_t from, int64_t to, int64_t fen, int64_t transfer_id, int64_t actor) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  std::string now = FormatTimestamp(clock_.NowMs());
  KEEL_ASSIGN_OR_RETURN(int64_t taken, repo::TakeUnspent(*conn, tenant, from, fen, now));
  if (taken != 1) {
    return Status::Error(ErrorKind::kConflict, "budget.exceeded", "the budget no longer has that much unspent", "调出预算的未使用余额已不足",
                         "amount");
  }
  KEEL_ASSIGN_OR_RETURN(int64_t given, repo::AddToBudget(*conn, tenant, to, fen, now));
  if (given != 1) return Status::NotFound("budget", "to_budget_id");
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(2));
  for (int k = 0; k < 2; ++k) {
    KEEL_RETURN_IF_ERROR(repo::InsertBudgetEntry(*conn, tenant,
                                                 {.id = ids[k], .budget_id = k == 0 ? from : to, .amount_fen = k == 0 ? -fen : fen,
                                                  .kind = k == 0 ? "transfer_out" : "transfer_in", .source_object = "budget_transfers",
                                                  .source_id = transfer_id, .actor_id = actor ? std::optional<int64_t>(actor) : std::nullopt,
                                                  .at = now}));
  }
  return tx.Commit();
}

Result<int64_t> BudgetService::Find(int64_t tenant, int64_t unit, const std::string& category, const std::string& day) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<std::string> path, repo::UnitPath(*conn, tenant, unit));
  if (!path) return Status::NotFound("unit");
  std::vector<int64_t> chain = PathIds(*path);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    // The narrowest period first (a month's budget over the quarter's over the year's).
    KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> found, repo::BudgetCovering(*conn, tenant, *it, category, day));
    if (found) return *found;
  }
  return Status::Error(ErrorKind::kNotFound, "budget.none", "no " + category + " budget covers this unit on " + day,
                       "该单元在 " + day + " 没有 " + category + " 类预算", "category");
}

}  // namespace keel::org
