// Expense and travel reimbursement (差旅报销). A claim (the `expenses` entity) has lines with
// receipt metadata. Submitting it checks the lines against the tenant's expense policy (limits
// per item, night, person or day, by unit and city tier), commits the total against the unit's
// budget for the claim's category at that moment (409 budget.exceeded when it would overspend),
// and sends it through the `expense_claim` workflow. A rejected or recalled claim gives its money
// back to the budget. HQ posts an approved claim to the unit's ledger.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "domain/records.h"
#include "org/workflow/approvals.h"
#include "org/budgets.h"
#include "org/governance.h"
#include "org/ledger.h"
#include "store/database.h"

namespace keel::org {

class ExpenseService {
 public:
  // Registers itself with `approvals` for the decisions on claims.
  ExpenseService(store::Database& db, domain::RecordService& records, ApprovalEngine& approvals, BudgetService& budgets, Ledger& ledger,
                 const Clock& clock);

  // Policy rules {unit_id?, kind, per: item|night|person|day, limit, city_tier?: tier1|other, note} (HQ).
  Result<json> SavePolicy(const Principal& p, const json& body);
  Result<json> Policies(const Principal& p);
  Result<json> ArchivePolicy(const Principal& p, int64_t id);
  // The claim's lines against the policy that applies to its unit.
  Result<json> CheckPolicy(const Principal& p, int64_t id);

  // Compliance checkpoints on submission and the unit's authorisation boundary for expenses
  // (decided alone, or alone and reported to HQ, up to the boundary's limit; approval above).
  void SetGovernance(Governance* governance) { governance_ = governance; }

  // The claimant submits: policy, compliance, budget commitment, then the unit's boundary decides
  // whether it is approved at once (alone / report) or goes through the expense_claim workflow.
  Result<json> Submit(const Principal& p, int64_t id, const json& body);
  // HQ posts an approved claim to the ledger (the month of its last line, or the next open one).
  Result<json> Post(const Principal& p, int64_t id);

 private:
  void OnDecision(int64_t tenant, int64_t id, const std::string& decision);
  Result<json> Check(store::Connection& conn, int64_t tenant, const json& claim);

  store::Database& db_;
  domain::RecordService& records_;
  ApprovalEngine& approvals_;
  BudgetService& budgets_;
  Ledger& ledger_;
  const Clock& clock_;
  Governance* governance_ = nullptr;
};

}  // namespace keel::org
