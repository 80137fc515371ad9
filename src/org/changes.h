// Change requests decided by approval: budget transfers (预算调剂) and price changes (调价).
// Both are records (POST /budget-transfers, POST /price-changes) whose creation triggers their
// workflow. A budget transfer within the unit's authorisation boundary is executed at once
// (and reported to HQ when the boundary says so); otherwise HQ approves it and the money moves on
// approval — only if it is still unspent. An approved price change is applied to the product on
// its effective date (the tenant's local day), at once when that day has come.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "common/time.h"
#include "domain/records.h"
#include "org/workflow/approvals.h"
#include "org/budgets.h"
#include "org/governance.h"
#include "store/database.h"

namespace keel::org {

class ChangeRequests {
 public:
  // Registers itself with `approvals` (trigger, decision and tick hooks).
  ChangeRequests(store::Database& db, domain::RecordService& records, ApprovalEngine& approvals, BudgetService& budgets, const Clock& clock);
  void SetGovernance(Governance* governance) { governance_ = governance; }

  // Approved price changes whose day has come are applied; returns how many.
  Result<int64_t> ApplyDuePrices(int64_t tenant);

 private:
  Result<bool> TransferCreated(int64_t tenant, int64_t id, const domain::Principal& actor);
  Status Execute(int64_t tenant, int64_t id, int64_t actor);

  store::Database& db_;
  domain::RecordService& records_;
  BudgetService& budgets_;
  const Clock& clock_;
  Governance* governance_ = nullptr;
};

}  // namespace keel::org
