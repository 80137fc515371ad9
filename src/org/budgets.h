// Unit budgets (预算): an amount per unit, category (marketing, travel, samples, promotions,
// training, other) and period (2026-11, 2026-Q4 or 2026), set by HQ. Spending commits against a
// budget at the moment it is committed with a single conditional UPDATE, so two concurrent
// requests can never overspend it together; a release gives money back. Every movement is an
// entry (who, what for, when), and the budget is reproducible from its entries.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "store/database.h"

namespace keel::org {

using json = nlohmann::json;
using domain::Principal;

extern const std::vector<std::string> kBudgetCategories;

class BudgetService {
 public:
  BudgetService(store::Database& db, const Clock& clock);

  // HQ sets (or changes the amount of) a unit's budget for a category and period.
  Result<json> Set(const Principal& p, const json& body);
  // Budgets the caller may see (their unit subtree; HQ all), filtered by unit_id, period, category.
  Result<json> List(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query);
  Result<json> Get(const Principal& p, int64_t id);
  // Commits `amount` against the budget, or refuses with 409 budget.exceeded and what is left.
  // HQ and unit leads only (people spend through claims, quotes and contracts, which commit for
  // them); the caller must see the budget's unit, and a person's spend names its source document
  // (source_object: promotions, contracts, quotes, orders, expenses or materials; source_id: one
  // the caller can see) — 422 budget.source otherwise.
  Result<json> Spend(const Principal& p, int64_t id, const json& body);
  Result<json> Release(const Principal& p, int64_t id, const json& body);
  // The budget of a unit (or its nearest ancestor with one) for a category on a day, for other
  // parts (expenses) to spend against; NotFound when there is none.
  Result<int64_t> Find(int64_t tenant, int64_t unit, const std::string& category, const std::string& day);
  // Moves `fen` of unspent allocation from one budget to another (a budget transfer once it is
  // decided): one conditional UPDATE takes it only if it is still unspent; both entries name the
  // transfer. kConflict budget.exceeded when the money is no longer there.
  Status Transfer(int64_t tenant, int64_t from, int64_t to, int64_t fen, int64_t transfer_id, int64_t actor);

 private:
  Result<json> Move(const Principal& p, int64_t id, const json& body, bool spend);
  Result<json> Describe(store::Connection& conn, int64_t tenant, int64_t id, bool entries);
  bool Visible(store::Connection& conn, const Principal& p, int64_t unit);
  Status CheckSource(store::Connection& conn, const Principal& p, const json& body);

  store::Database& db_;
  const Clock& clock_;
};

}  // namespace keel::org
