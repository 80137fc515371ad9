// Expense and travel reimbursement (差旅报销). A claim (the `expenses` entity) has lines with
// receipt metadata. Submitting it checks the lines against the tenant's expense policy (limits
// per item, night, person or day, by unit and city tier), commits the total against the unit's
// budget for the claim's category at that moment (409 budget.exceeded when it would overspend),
// and sends it through the `expense_claim` workflow. A rejected or recalled claim gives its money
// back to the budget. HQ posts an approved claim to the unit's ledger.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "domain/records.h"
#include "org/workflow/approvals.h"
#include "org/budgets.h"
#include "org/governance.h"
#include "org/ledger.h"
#include "org/members.h"
#include "store/database.h"

namespace keel::org {

// One limit of the expense policy (费用标准).
struct ExpensePolicy {
  int64_t id = 0;
  std::optional<int64_t> unit_id;  // a unit and below; none: the whole tenant
  std::string kind;                // airfare, train, hotel, taxi, meal, entertainment, gift, conference, materials, other
  std::string per;                 // item, night, person or day
  int64_t limit_fen = 0;
  std::optional<std::string> city_tier;  // tier1 or other; none: any city
  std::string note;
};

// A new limit as requested. A kind or per that is not a text arrives empty, a limit that is not a
// number as NaN and a city_tier that is not a text as "?", so the service reports the same field
// error; `problem` is a shape error of the request (an unknown member), reported after the
// permission check.
struct ExpensePolicyDraft {
  OptionalId unit_id;
  std::string kind;
  std::string per = "item";
  std::optional<double> limit;  // yuan
  std::string city_tier;        // empty: any city
  std::string note;
  Status problem;
};

// A claim's line against the policy.
struct PolicyLine {
  int64_t line_no = 0;  // from 1
  std::string kind, day;
  int64_t amount_fen = 0;
  bool has_receipt = false;
  bool within_policy = true;
  // The limit that applies to the line; none when no rule covers it.
  struct Limit {
    int64_t rule_id = 0;
    std::string per;
    int64_t limit_fen = 0, allowed_fen = 0;  // the rule's limit, and what it allows for the line
  };
  std::optional<Limit> limit;
  std::string message_en, message_zh;  // over the policy only
};
struct PolicyCheck {
  bool within_policy = true;
  std::vector<PolicyLine> lines;
  int64_t missing_receipts = 0;
};

// The claimant's submission: a comment for the workflow and, for unit leads and HQ, why a
// blocking compliance checkpoint is overridden. `problem` is a shape error (an unknown member, an
// override_reason that is not a text), reported after the claimant is checked;
// `comment_problem` a comment that is not a text, reported when the workflow would take it.
struct ClaimSubmission {
  std::optional<std::string> comment;
  std::string override_reason;
  Status problem, comment_problem;
};

// The authorisation boundary that decided a submitted claim: `alone` or `report` (approved at
// once, up to `limit` yuan of `unit_id`'s boundary; no limit: any amount), or `approval`.
struct ClaimBoundary {
  std::string mode;
  std::optional<double> limit;
  std::optional<int64_t> unit_id;  // alone and report only
};

// What submitting a claim did. The claim is an entity record (JSON shaped by its EntityDef and
// custom fields); the approval request and the compliance outcome are the workflow's and
// governance's replies as they give them.
struct ClaimSubmitted {
  nlohmann::json expense;
  nlohmann::json approval;  // null when the boundary decided; else the request (or not_needed)
  ClaimBoundary boundary;
  std::optional<Budget> budget;  // the budget the claim commits (without entries)
  nlohmann::json compliance;
};

class ExpenseService {
 public:
  // Registers itself with `approvals` for the decisions on claims.
  ExpenseService(store::Database& db, domain::RecordService& records, ApprovalEngine& approvals, BudgetService& budgets, Ledger& ledger,
                 const Clock& clock);

  // Policy rules {unit_id?, kind, per: item|night|person|day, limit, city_tier?: tier1|other, note} (HQ).
  Result<ExpensePolicy> SavePolicy(const Principal& p, const ExpensePolicyDraft& draft);
  // The live limits, by kind, unit and id.
  Result<std::vector<ExpensePolicy>> Policies(const Principal& p);
  // NotFound when there is no such live limit.
  Status ArchivePolicy(const Principal& p, int64_t id);
  // The claim's lines against the policy that applies to its unit.
  Result<PolicyCheck> CheckPolicy(const Principal& p, int64_t id);

  // Compliance checkpoints on submission and the unit's authorisation boundary for expenses
  // (decided alone, or alone and reported to HQ, up to the boundary's limit; approval above).
  void SetGovernance(Governance* governance) { governance_ = governance; }

  // The claimant submits: policy, compliance, budget commitment, then the unit's boundary decides
  // whether it is approved at once (alone / report) or goes through the expense_claim workflow.
  Result<ClaimSubmitted> Submit(const Principal& p, int64_t id, const ClaimSubmission& submission);
  // HQ posts an approved claim to the ledger (the month of its last line, or the next open one);
  // returns the claim record (JSON, an entity record).
  Result<json> Post(const Principal& p, int64_t id);

 private:
  void OnDecision(int64_t tenant, int64_t id, const std::string& decision);
  // `claim` is the expenses record.
  Result<PolicyCheck> Check(store::Connection& conn, int64_t tenant, const json& claim);

  store::Database& db_;
  domain::RecordService& records_;
  ApprovalEngine& approvals_;
  BudgetService& budgets_;
  Ledger& ledger_;
  const Clock& clock_;
  Governance* governance_ = nullptr;
};

}  // namespace keel::org
