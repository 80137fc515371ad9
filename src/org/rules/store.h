// What org's entity rules read beside the record (src/org/rules/): the budgets a transfer moves
// money between. Rows are read by column name; no permission checks here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "store/database.h"

namespace keel::org::rules {

struct BudgetPlace {
  int64_t unit_id = 0;
  std::string unit_path;
  int64_t available = 0;  // amount - committed, in fen
};
Result<std::optional<BudgetPlace>> LoadBudgetPlace(store::Connection& conn, int64_t tenant, int64_t budget);

}  // namespace keel::org::rules
