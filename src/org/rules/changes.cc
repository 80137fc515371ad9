// Change requests decided by approval: budget transfers (预算调剂) between budgets the writer
// sees, and price changes (调价申请) of a product.
#include <cmath>
#include <cstdio>

#include "domain/records.h"
#include "domain/rules.h"
#include "domain/store.h"
#include "org/rules/store.h"

namespace keel::org::rules {

using domain::EntityDef;
using domain::EntityRules;
using domain::ValueMap;
using domain::WriteContext;
using namespace domain::rules;

namespace {

Status StartsAsDraft(const WriteContext& ctx, const ValueMap& v) {
  if (!ctx.p.is_system() && Text(v, "status") != "draft") {
    return Unprocessable("change.create_draft", "a new request starts as a draft; approval decides the rest",
                         "新申请须为草稿，其余由审批决定", "status");
  }
  return Status();
}

Status StatusByApproval(const WriteContext& ctx, const ValueMap& before, const ValueMap& after) {
  if (Text(before, "status") != Text(after, "status") && !ctx.p.is_system()) {
    return Conflict("change.status", "the status of a request is decided by its approval", "申请的状态由审批决定", "status");
  }
  return Status();
}

}  // namespace

class BudgetTransfers final : public EntityRules {
 public:
  // A budget transfer moves money between two budgets of the tenant that the caller sees; it
  // belongs to the unit the money leaves.
  Status PrepareCreate(WriteContext& ctx, const EntityDef&, int64_t, ValueMap& v, std::vector<ValueMap>&) const override {
    KEEL_RETURN_IF_ERROR(StartsAsDraft(ctx, v));
    int64_t from = Int(v, "from_budget_id"), to = Int(v, "to_budget_id");
    if (from == to) {
      return Status::Invalid("validation.same_budget", "from_budget_id and to_budget_id are the same budget", "调出与调入预算不能相同",
                             "to_budget_id");
    }
    if (Int(v, "amount") <= 0) return Status::Invalid("validation.range", "amount must be more than 0", "调剂金额须大于 0", "amount");
    for (const std::string f : {"from_budget_id", "to_budget_id"}) {
      KEEL_ASSIGN_OR_RETURN(auto budget, LoadBudgetPlace(ctx.conn, ctx.p.tenant_id, Int(v, f)));
      bool visible = budget && (ctx.p.is_system() || domain::SeesWholeTenant(ctx.p.role) ||
                                budget->unit_path.rfind(ctx.p.unit_path, 0) == 0);
      if (!visible) {
        return Status::Invalid("validation.reference", f + ": no budget you can see in this tenant", f + "：本租户中不存在您可见的预算", f);
      }
      if (f != "from_budget_id") continue;
      v["unit_id"] = budget->unit_id;
      if (budget->available < Int(v, "amount")) {
        char left[32];
        std::snprintf(left, sizeof left, "%.2f", static_cast<double>(budget->available) / 100);
        return Conflict("budget.exceeded", std::string("the budget has only ") + left + " yuan left to move",
                        std::string("调出预算余额不足，仅剩 ") + left + " 元", "amount");
      }
    }
    return Status();
  }

  Status PrepareUpdate(WriteContext& ctx, const EntityDef&, int64_t, const ValueMap& before, ValueMap& after) const override {
    KEEL_RETURN_IF_ERROR(StatusByApproval(ctx, before, after));
    if (Text(after, "status") == "executed" && Text(before, "status") != "executed") after["executed_at"] = ctx.now_text;
    return Status();
  }
};

class PriceChanges final : public EntityRules {
 public:
  Status PrepareCreate(WriteContext& ctx, const EntityDef& e, int64_t, ValueMap& v, std::vector<ValueMap>&) const override {
    KEEL_RETURN_IF_ERROR(StartsAsDraft(ctx, v));
    // Checked here, before the generic reference check, so a product of another tenant is a 400 like any other reference.
    KEEL_RETURN_IF_ERROR(CheckRef(ctx, *e.Field("product_id"), Int(v, "product_id")));
    KEEL_ASSIGN_OR_RETURN(auto product, domain::LoadColumns(ctx.conn, "products", "price", ctx.p.tenant_id, Int(v, "product_id")));
    if (!product) return Status::NotFound("product", "product_id");
    int64_t old_price = Int(*product, "price"), new_price = Int(v, "new_price");
    if (new_price <= 0) return Status::Invalid("validation.range", "new_price must be more than 0", "新标价须大于 0", "new_price");
    if (new_price == old_price) {
      return Status::Invalid("price_change.same", "new_price is the current price", "新标价与当前标价相同", "new_price");
    }
    v["old_price"] = old_price;
    v["change_pct"] = old_price > 0 ? std::round(10000.0 * static_cast<double>(new_price - old_price) / static_cast<double>(old_price)) / 100.0
                                    : 0.0;
    return Status();
  }

  Status PrepareUpdate(WriteContext& ctx, const EntityDef&, int64_t, const ValueMap& before, ValueMap& after) const override {
    KEEL_RETURN_IF_ERROR(StatusByApproval(ctx, before, after));
    if (Text(after, "status") == "applied" && Text(before, "status") != "applied") after["applied_at"] = ctx.now_text;
    return Status();
  }
};

const EntityRules& BudgetTransferRules() {
  static const BudgetTransfers rules;
  return rules;
}
const EntityRules& PriceChangeRules() {
  static const PriceChanges rules;
  return rules;
}

}  // namespace keel::org::rules
