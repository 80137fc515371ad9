// Profit sharing (利润分成). A rule is a formula over a unit's monthly P&L that gives the unit's
// pool (e.g. `0.3 * MAX(contribution_margin - 50000, 0)`: 30 % of the contribution margin above
// 50,000 yuan), and a way to split the pool among the unit's people: by the revenue or gross
// margin each brought in, equally, or by a weight formula over each person's figures. A run
// computes, for a month, a statement per person and rule that shows how each figure was
// reached; the fen left by rounding go to the largest remainders, so the statements add up to
// the pool exactly.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "org/ledger.h"
#include "store/database.h"

namespace keel::org {

class ProfitSharing {
 public:
  ProfitSharing(store::Database& db, Ledger& ledger, const Clock& clock);

  // {name, unit_id? (profit-centre units under it; none: all), pool_formula, split:
  // revenue|gross_margin|equal|formula, weight_formula?, description?} (HQ).
  Result<json> SaveRule(const Principal& p, const json& body);
  Result<json> Rules(const Principal& p);
  Result<json> ArchiveRule(const Principal& p, int64_t id);

  // Computes a month's statements for every active rule (or one): {period, rule_id?} (HQ).
  // A closed month's statements are final.
  Result<json> Run(const Principal& p, const json& body);
  // Statements the caller may see: their own; unit leads and supervisors their subtree; HQ all.
  Result<json> Statements(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query);
  Result<json> Statement(const Principal& p, int64_t id);

 private:
  struct CompiledRule;
  // One unit's pool under a rule, split among its people; counts the statements it writes.
  Result<json> ShareUnit(store::Connection& conn, const Principal& p, const std::string& period, const CompiledRule& rule, int64_t unit,
                         const std::string& path, const std::string& unit_name, const std::string& now, int64_t& statements);

  store::Database& db_;
  Ledger& ledger_;
  const Clock& clock_;
};

}  // namespace keel::org
