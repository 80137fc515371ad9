// Profit sharing's repository: rules, statements, and the reads a run makes (revenue targets, the
// people of a unit). Rows are read by column name; the caller holds the transaction. No
// permission checks (the statement list takes the caller's scope as a filter).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace keel::org::repo {

struct ProfitRuleRow {
  int64_t id = 0;
  std::string name;
  std::optional<int64_t> unit_id;  // none: every profit-centre unit
  std::string pool_formula, split;
  std::optional<std::string> weight_formula, description;
};
Status InsertProfitRule(store::Connection& conn, int64_t tenant, const ProfitRuleRow& rule, const std::string& created_at,
                        std::optional<int64_t> created_by);
// A rule (archived or not), or nullopt.
Result<std::optional<ProfitRuleRow>> LoadProfitRule(store::Connection& conn, int64_t tenant, int64_t id);
// The live rules by id; only rule `only` when set.
Result<std::vector<ProfitRuleRow>> LoadProfitRules(store::Connection& conn, int64_t tenant, std::optional<int64_t> only = std::nullopt);

// The revenue target of a person (user != 0) or of a unit (its own, not a person's) for a month; 0 when none.
Result<double> RevenueTarget(store::Connection& conn, int64_t tenant, int64_t unit, int64_t user, const std::string& period);

// The people a unit's pool is split among: active sellers of the subtree (path LIKE pattern) and
// anyone the month's entries there name, by id.
struct PersonRow {
  int64_t id = 0;
  std::string display_name;
};
Result<std::vector<PersonRow>> LoadSharingPeople(store::Connection& conn, int64_t tenant, const std::string& path_pattern,
                                                 const std::string& period);

// Whether a month already has statements of a rule; dropping them (a run recomputes them).
Result<bool> HasStatements(store::Connection& conn, int64_t tenant, const std::string& period, int64_t rule);
Status DeleteStatements(store::Connection& conn, int64_t tenant, const std::string& period, int64_t rule);

struct StatementRow {
  int64_t id = 0;
  std::string period;
  int64_t rule_id = 0, unit_id = 0;
  std::string unit;  // loaded statements only
  int64_t user_id = 0;
  std::string user;  // loaded statements only
  int64_t pool_fen = 0, amount_fen = 0;
  std::string detail;  // JSON text; inserted statements only
  std::string computed_at;
};
Status InsertStatement(store::Connection& conn, int64_t tenant, const StatementRow& s, std::optional<int64_t> computed_by);

// What the statement list filters on (unset: no filter), and whose statements the caller sees.
struct StatementFilter {
  std::optional<std::string> period;
  std::optional<int64_t> unit_id, user_id, rule_id, id;
  enum class Scope { kAll, kOwnAndSubtree, kOwnAndReports, kOwn } scope = Scope::kAll;
  int64_t viewer = 0;           // the caller (all scopes but kAll)
  std::string viewer_subtree;   // path LIKE pattern (kOwnAndSubtree)
};
Result<std::vector<StatementRow>> LoadStatements(store::Connection& conn, int64_t tenant, const StatementFilter& f);
// A statement's detail (JSON text), or nullopt.
Result<std::optional<std::string>> StatementDetail(store::Connection& conn, int64_t tenant, int64_t id);

}  // namespace keel::org::repo
