// Unit budgets (预算): an amount per unit, category (marketing, travel, samples, promotions,
// training, other) and period (2026-11, 2026-Q4 or 2026), set by HQ. Spending commits against a
// budget at the moment it is committed with a single conditional UPDATE, so two concurrent
// requests can never overspend it together; a release gives money back. Every movement is an
// entry (who, what for, when), and the budget is reproducible from its entries.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "store/database.h"

namespace keel::org {

using domain::Principal;

extern const std::vector<std::string> kBudgetCategories;

// One movement of a budget: an allocation, a spend, a release or one side of a transfer.
struct BudgetEntry {
  int64_t id = 0, amount_fen = 0;  // a release or a transfer out is negative
  std::string kind;                // allocation, spend, release, transfer_in, transfer_out
  std::optional<std::string> source_object, note;
  std::optional<int64_t> source_id, actor_id;
  std::string at;
};

// A unit's budget for a category and period, with what is committed.
struct Budget {
  int64_t id = 0, unit_id = 0;
  std::string unit;  // the unit's name
  std::string category, period, period_start, period_end;
  int64_t amount_fen = 0, committed_fen = 0;
  std::string updated_at;
  std::optional<std::vector<BudgetEntry>> entries;  // Get only
};

// HQ sets a budget: what the request names. A member of the wrong type arrives as absent (an id,
// a text: empty) or NaN (the amount), so the service reports the same field error; `problem` is
// a shape error of the request (an unknown member), reported after the permission check.
struct BudgetAllocation {
  std::optional<int64_t> unit_id;
  std::string category, period;
  std::optional<double> amount;  // yuan
  Status problem;
};

// A spend or a release of `amount` yuan, with the document it is for (a spend by a person names
// one). Mistyped members as in BudgetAllocation: a source_object that is not a text, a source_id
// that is not an integer, arrive as absent; a mistyped note as empty.
struct BudgetMove {
  std::optional<double> amount;  // yuan
  std::string note;
  std::optional<std::string> source_object;
  std::optional<int64_t> source_id;
  Status problem;
};

class BudgetService {
 public:
  BudgetService(store::Database& db, const Clock& clock);

  // HQ sets (or changes the amount of) a unit's budget for a category and period.
  Result<Budget> Set(const Principal& p, const BudgetAllocation& allocation);
  // Budgets the caller may see (their unit subtree; HQ all), filtered by unit_id, period, category.
  Result<std::vector<Budget>> List(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query);
  // A budget with its entries; NotFound when the caller does not see its unit.
  Result<Budget> Get(const Principal& p, int64_t id);
  // Commits `amount` against the budget, or refuses with 409 budget.exceeded and what is left.
  // HQ and unit leads only (people spend through claims, quotes and contracts, which commit for
  // them); the caller must see the budget's unit, and a person's spend names its source document
  // (source_object: promotions, contracts, quotes, orders, expenses or materials; source_id: one
  // the caller can see) — 422 budget.source otherwise.
  Result<Budget> Spend(const Principal& p, int64_t id, const BudgetMove& move);
  // Gives committed money back (409 budget.release when less is committed); the same roles.
  Result<Budget> Release(const Principal& p, int64_t id, const BudgetMove& move);
  // The budget of a unit (or its nearest ancestor with one) for a category on a day, for other
  // parts (expenses) to spend against; NotFound when there is none.
  Result<int64_t> Find(int64_t tenant, int64_t unit, const std::string& category, const std::string& day);
  // Moves `fen` of unspent allocation from one budget to another (a budget transfer once it is
  // decided): one conditional UPDATE takes it only if it is still unspent; both entries name the
  // transfer. kConflict budget.exceeded when the money is no longer there.
  Status Transfer(int64_t tenant, int64_t from, int64_t to, int64_t fen, int64_t transfer_id, int64_t actor);

 private:
  Result<Budget> Move(const Principal& p, int64_t id, const BudgetMove& move, bool spend);
  Result<Budget> Describe(store::Connection& conn, int64_t tenant, int64_t id, bool entries);
  bool Visible(store::Connection& conn, const Principal& p, int64_t unit);
  Status CheckSource(store::Connection& conn, const Principal& p, const BudgetMove& move);

  store::Database& db_;
  const Clock& clock_;
};

}  // namespace keel::org
