// The expense claims' repository: the expense policy, and the columns of a claim that the claim
// service keeps beside the record service (the budget its money is committed to, the ledger month
// it is posted to). Rows are read by column name; the caller holds the transaction. No permission
// checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace keel::org::repo {

struct ExpensePolicyRow {
  int64_t id = 0;
  std::optional<int64_t> unit_id;  // none: tenant-wide
  std::string kind, per;
  int64_t limit_fen = 0;
  std::optional<std::string> city_tier, note;
};
Status InsertExpensePolicy(store::Connection& conn, int64_t tenant, const ExpensePolicyRow& rule, const std::string& created_at,
                           std::optional<int64_t> created_by);
// The live rules, by kind, unit and id.
Result<std::vector<ExpensePolicyRow>> ListExpensePolicies(store::Connection& conn, int64_t tenant);
// The live rules in id order (the policy check takes the first, i.e. the oldest, of equally specific rules).
Result<std::vector<ExpensePolicyRow>> LoadExpensePolicies(store::Connection& conn, int64_t tenant);

// Takes the claim's budget slot: only while it has none and is a draft or rejected. Rows changed.
Result<int64_t> ClaimBudgetSlot(store::Connection& conn, int64_t tenant, int64_t claim, int64_t budget);
// Frees the slot if it still names `budget`. Rows changed.
Result<int64_t> FreeBudgetSlot(store::Connection& conn, int64_t tenant, int64_t claim, int64_t budget);

// What posting and budget release read of a claim.
struct ClaimRow {
  std::string status;
  int64_t total_fen = 0, unit_id = 0;
  std::optional<int64_t> owner_id, budget_id;
  std::string category, title;
  std::optional<std::string> ledger_period;
};
Result<std::optional<ClaimRow>> LoadClaim(store::Connection& conn, int64_t tenant, int64_t claim);
// Names the month the claim is posted to, once. Rows changed.
Result<int64_t> MarkClaimPosted(store::Connection& conn, int64_t tenant, int64_t claim, const std::string& period);

}  // namespace keel::org::repo
