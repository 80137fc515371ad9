// The budgets' repository: budgets, their entries, and the conditional UPDATEs that commit, give
// back and move money (each a single statement, so concurrent requests cannot overspend). Rows are
// read by column name; the caller holds the transaction. No permission checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace keel::org::repo {

struct BudgetRow {
  int64_t id = 0, unit_id = 0;
  std::string unit;  // the unit's name
  std::string category, period, period_start, period_end;
  int64_t amount_fen = 0, committed_fen = 0;
  std::string updated_at;
};
Result<std::optional<BudgetRow>> LoadBudget(store::Connection& conn, int64_t tenant, int64_t id);
// The budget of a unit, category and period, if there is one.
Result<std::optional<BudgetRow>> FindBudget(store::Connection& conn, int64_t tenant, int64_t unit, const std::string& category,
                                            const std::string& period);
// The unit's budget for a category covering `day`: the narrowest period first.
Result<std::optional<int64_t>> BudgetCovering(store::Connection& conn, int64_t tenant, int64_t unit, const std::string& category,
                                              const std::string& day);
// What the budget list filters on (unset: no filter); `within` a unit subtree (a unit path).
struct BudgetFilter {
  std::optional<int64_t> unit_id;
  std::optional<std::string> period, category, within;
};
// The ids, by unit path, category and period.
Result<std::vector<int64_t>> ListBudgetIds(store::Connection& conn, int64_t tenant, const BudgetFilter& f);

Status InsertBudget(store::Connection& conn, int64_t tenant, const BudgetRow& b, const std::string& at, std::optional<int64_t> by);
// Sets the amount unless it is below what is committed; returns the rows changed (0 or 1).
Result<int64_t> SetBudgetAmount(store::Connection& conn, int64_t tenant, int64_t id, int64_t amount_fen, const std::string& at);
// Commits `fen` only if it fits (spend), or gives it back only if that much is committed
// (release); returns the rows changed (0 or 1).
Result<int64_t> CommitToBudget(store::Connection& conn, int64_t tenant, int64_t id, int64_t fen, const std::string& at);
Result<int64_t> ReleaseFromBudget(store::Connection& conn, int64_t tenant, int64_t id, int64_t fen, const std::string& at);
// Takes `fen` of unspent allocation away (only if it is unspent), or adds it; rows changed.
Result<int64_t> TakeUnspent(store::Connection& conn, int64_t tenant, int64_t id, int64_t fen, const std::string& at);
Result<int64_t> AddToBudget(store::Connection& conn, int64_t tenant, int64_t id, int64_t fen, const std::string& at);

struct BudgetEntryRow {
  int64_t id = 0, budget_id = 0, amount_fen = 0;
  std::string kind;  // allocation, spend, release, transfer_out, transfer_in
  std::optional<std::string> source_object;
  std::optional<int64_t> source_id;
  std::optional<std::string> note;
  std::optional<int64_t> actor_id;
  std::string at;
};
Status InsertBudgetEntry(store::Connection& conn, int64_t tenant, const BudgetEntryRow& e);
Result<std::vector<BudgetEntryRow>> LoadBudgetEntries(store::Connection& conn, int64_t tenant, int64_t budget);

// The unit of a live document a spend names (promotions, contracts, quotes, orders, expenses or
// materials): nullopt when there is no such document, a null unit when it has none.
Result<std::optional<std::optional<int64_t>>> SourceUnit(store::Connection& conn, const std::string& table, int64_t tenant, int64_t id);

}  // namespace keel::org::repo
