// Profit sharing (利润分成). A rule is a formula over a unit's monthly P&L that gives the unit's
// pool (e.g. `0.3 * MAX(contribution_margin - 50000, 0)`: 30 % of the contribution margin above
// 50,000 yuan), and a way to split the pool among the unit's people: by the revenue or gross
// margin each brought in, equally, or by a weight formula over each person's figures. A run
// computes, for a month, a statement per person and rule that shows how each figure was
// reached; the fen left by rounding go to the largest remainders, so the statements add up to
// the pool exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "org/ledger.h"
#include "org/members.h"
#include "store/database.h"

namespace keel::org {

// A profit-sharing rule: the unit's pool as a formula over its month, and how it is split.
struct ProfitSharingRule {
  int64_t id = 0;
  std::string name;
  std::optional<int64_t> unit_id;  // profit-centre units under it; none: all
  std::string pool_formula;
  std::string split;                          // revenue, gross_margin, equal or formula
  std::optional<std::string> weight_formula;  // split formula only
  std::string description;
};
// The live rules, with the names their formulas may use.
struct ProfitSharingRules {
  std::vector<ProfitSharingRule> items;
  std::vector<std::string> pool_fields, person_fields;
};

// A new rule as requested. A text that is not a text arrives empty (split: absent means revenue);
// `problem` is a shape error of the request (an unknown member), reported after the permission
// check.
struct ProfitRuleDraft {
  std::string name, pool_formula;
  std::string split = "revenue";
  std::string weight_formula;
  OptionalId unit_id;
  std::string description;
  Status problem;
};

// A run: a month, and one rule or every live one. A period that is not a text arrives empty;
// a rule_id that is there (even null) but not an id is mistyped.
struct ProfitSharingRunRequest {
  std::string period;
  OptionalId rule_id;
  Status problem;
};
// What a run computed for one unit under one rule.
struct UnitShare {
  int64_t rule_id = 0, unit_id = 0;
  std::string unit;
  int64_t pool_fen = 0, people = 0;
};
struct ProfitSharingRun {
  std::string period;
  int64_t statements = 0;  // written
  std::vector<UnitShare> units;
};

// A person's statement for a month and rule.
struct ProfitStatement {
  int64_t id = 0;
  std::string period;
  int64_t rule_id = 0, unit_id = 0;
  std::string unit;
  int64_t user_id = 0;
  std::string user;  // username
  int64_t pool_fen = 0, amount_fen = 0;
  std::string computed_at;
  // How each figure was reached, as the run stored it (a document stored verbatim: its shape is
  // the run's of that day). Statement only.
  std::optional<nlohmann::json> detail;
};

class ProfitSharing {
 public:
  ProfitSharing(store::Database& db, Ledger& ledger, const Clock& clock);

  // {name, unit_id? (profit-centre units under it; none: all), pool_formula, split:
  // revenue|gross_margin|equal|formula, weight_formula?, description?} (HQ).
  Result<ProfitSharingRule> SaveRule(const Principal& p, const ProfitRuleDraft& draft);
  Result<ProfitSharingRules> Rules(const Principal& p);
  // NotFound when there is no such live rule.
  Status ArchiveRule(const Principal& p, int64_t id);

  // Computes a month's statements for every active rule (or one): {period, rule_id?} (HQ).
  // A closed month's statements are final.
  Result<ProfitSharingRun> Run(const Principal& p, const ProfitSharingRunRequest& run);
  // Statements the caller may see: their own; unit leads and supervisors their subtree; HQ all.
  Result<std::vector<ProfitStatement>> Statements(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query);
  // One statement with its detail; NotFound when the caller does not see it.
  Result<ProfitStatement> Statement(const Principal& p, int64_t id);

 private:
  struct CompiledRule;
  // One unit's pool under a rule, split among its people; counts the statements it writes.
  Result<UnitShare> ShareUnit(store::Connection& conn, const Principal& p, const std::string& period, const CompiledRule& rule, int64_t unit,
                         const std::string& path, const std::string& unit_name, const std::string& now, int64_t& statements);

  store::Database& db_;
  Ledger& ledger_;
  const Clock& clock_;
};

}  // namespace keel::org
