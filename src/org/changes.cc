#include "org/changes.h"

#include <cmath>

#include <spdlog/spdlog.h>

#include "domain/schema.h"
#include "org/internal.h"
#include "org/store/shared.h"

namespace keel::org {

namespace {
const domain::EntityDef& Transfers() { return *domain::FindEntity("budget_transfers"); }
const domain::EntityDef& Prices() { return *domain::FindEntity("price_changes"); }
}  // namespace

ChangeRequests::ChangeRequests(store::Database& db, domain::RecordService& records, ApprovalEngine& approvals, BudgetService& budgets,
                               const Clock& clock)
    : db_(db), records_(records), budgets_(budgets), clock_(clock) {
  approvals.OnTrigger("budget_transfers", [this](int64_t tenant, int64_t id, const domain::Principal& actor) {
    return TransferCreated(tenant, id, actor);
  });
  approvals.OnDecision("budget_transfers", [this](int64_t tenant, int64_t id, const std::string& decision) {
    if (decision != "approved") return;
    Status st = Execute(tenant, id, 0);
    if (!st.ok()) spdlog::warn("budget transfer {} of tenant {}: {}", id, tenant, st.ToString());
  });
  approvals.OnDecision("price_changes", [this](int64_t tenant, int64_t, const std::string& decision) {
    if (decision != "approved") return;
    auto n = ApplyDuePrices(tenant);
    if (!n.ok()) spdlog::warn("price changes of tenant {}: {}", tenant, n.status().ToString());
  });
  approvals.OnTick([this](int64_t tenant) {
    auto n = ApplyDuePrices(tenant);
    if (!n.ok()) spdlog::warn("price changes of tenant {}: {}", tenant, n.status().ToString());
  });
}

Result<bool> ChangeRequests::TransferCreated(int64_t tenant, int64_t id, const domain::Principal& actor) {
  if (governance_ == nullptr) return false;
  auto sys = domain::Principal::System(tenant);
  KEEL_ASSIGN_OR_RETURN(json t, records_.Get(sys, Transfers(), id));
  int64_t unit = t["unit_id"].get<int64_t>();
  double amount = t["amount"].get<double>();
  KEEL_ASSIGN_OR_RETURN(BoundaryDecision d, governance_->BoundaryFor(tenant, unit, "budget_transfer", amount));
  if (d.mode != "alone" && d.mode != "report") return false;
  if (d.mode == "report") {
    KEEL_RETURN_IF_ERROR(governance_->Report(tenant, unit, "budget_transfer", "budget_transfers", id, amount, t.value("reason", ""), actor.user_id));
  }
  KEEL_RETURN_IF_ERROR(Execute(tenant, id, actor.user_id));
  return true;
}

Status ChangeRequests::Execute(int64_t tenant, int64_t id, int64_t actor) {
  auto sys = domain::Principal::System(tenant);
  KEEL_ASSIGN_OR_RETURN(json t, records_.Get(sys, Transfers(), id));
  if (t["status"] == "executed") return Status();
  int64_t fen = std::llround(t["amount"].get<double>() * 100);
  Status moved = budgets_.Transfer(tenant, t["from_budget_id"].get<int64_t>(), t["to_budget_id"].get<int64_t>(), fen, id, actor);
  if (!moved.ok() && moved.code() != "budget.exceeded") return moved;
  return records_.Update(sys, Transfers(), id, {{"status", moved.ok() ? "executed" : "failed"}}).status();
}

Result<int64_t> ChangeRequests::ApplyDuePrices(int64_t tenant) {
  std::vector<std::pair<int64_t, int64_t>> due;  // price change, product
  std::vector<int64_t> prices, olds;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::string today, LocalToday(*conn, tenant, clock_.NowMs()));
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::DuePriceChange> rows, repo::LoadDuePriceChanges(*conn, tenant, today));
    for (const auto& c : rows) {
      due.push_back({c.id, c.product_id});
      prices.push_back(c.new_price_fen);
      olds.push_back(c.old_price_fen);
    }
  }
  auto sys = domain::Principal::System(tenant);
  const domain::EntityDef& products = *domain::FindEntity("products");
  int64_t applied = 0;
  for (size_t i = 0; i < due.size(); ++i) {
    // Applied only to the price it was approved against: a product gone, or re-priced meanwhile
    // (the approval's steps depended on the size of the change), fails the change; the rest go on.
    auto product = records_.Get(sys, products, due[i].second);
    bool current = product.ok() && (*product)["archived_at"].is_null() && std::llround((*product)["price"].get<double>() * 100) == olds[i];
    if (current) {
      auto updated = records_.Update(sys, products, due[i].second, {{"price", Yuan(prices[i])}});
      current = updated.ok();
      if (!updated.ok()) spdlog::warn("price change {} of tenant {}: {}", due[i].first, tenant, updated.status().ToString());
    }
    KEEL_RETURN_IF_ERROR(records_.Update(sys, Prices(), due[i].first, {{"status", current ? "applied" : "failed"}}).status());
    applied += current ? 1 : 0;
  }
  return applied;
}

}  // namespace keel::org
