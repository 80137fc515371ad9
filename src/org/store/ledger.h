// The ledger's repository: accounting settings, allocation rules, periods, entries and the reads
// posting makes (paid orders not yet posted, refunds not yet reversed, headcounts). Rows are read
// by column name into the structs below; the caller holds the transaction. No permission checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace keel::org::repo {

// The stored settings document (JSON text) and when it changed.
struct SettingsRow {
  std::string settings, updated_at;
};
Result<std::optional<SettingsRow>> LoadAccountingSettings(store::Connection& conn, int64_t tenant);
Status SaveAccountingSettings(store::Connection& conn, int64_t tenant, const std::string& settings, const std::string& at,
                              std::optional<int64_t> by);

struct AllocationRuleRow {
  int64_t id = 0;
  std::string name;
  int64_t monthly_amount_fen = 0;
  std::string driver;
  std::string shares;  // JSON text {unit_id: pct}
  std::string created_at;
};
Status InsertAllocationRule(store::Connection& conn, int64_t tenant, const AllocationRuleRow& rule, std::optional<int64_t> created_by);
// The live rules, by id.
Result<std::vector<AllocationRuleRow>> LoadAllocationRules(store::Connection& conn, int64_t tenant);

// A month's status ("open", "closed"), or nullopt when it was never posted.
Result<std::optional<std::string>> PeriodStatus(store::Connection& conn, int64_t tenant, const std::string& period);
struct PeriodRow {
  std::string period, status;
  std::optional<std::string> posted_at, closed_at;
  std::optional<int64_t> closed_by;
};
// Every posted month, newest first; or those of `months` only.
Result<std::vector<PeriodRow>> LoadPeriods(store::Connection& conn, int64_t tenant);
Result<std::vector<PeriodRow>> LoadPeriodsIn(store::Connection& conn, int64_t tenant, const std::vector<std::string>& months);
Status MarkPeriodPosted(store::Connection& conn, int64_t tenant, const std::string& period, const std::string& at);
Status MarkPeriodClosed(store::Connection& conn, int64_t tenant, const std::string& period, const std::string& at, std::optional<int64_t> by);

// One ledger entry. Inserting one already there (same source and account) does nothing.
struct EntryRow {
  int64_t id = 0, unit_id = 0;
  std::string unit;  // loaded entries only
  std::optional<int64_t> user_id;
  std::string period, day, account;
  int64_t amount_fen = 0;
  std::string source_object;
  int64_t source_id = 0;
  std::optional<std::string> memo;
  std::string posted_at;
  std::optional<int64_t> posted_by;
};
Status InsertEntry(store::Connection& conn, int64_t tenant, const EntryRow& e);

// Entries grouped by account (allocations also by rule name): the sum and the revenue entries
// net of refunds. `unit_id` is set by the per-unit grouping only.
struct GroupedRow {
  std::string account, memo;
  int64_t sum = 0, revenue_entries = 0, unit_id = 0;
};
// A unit subtree's (path LIKE pattern) entries in `months`, one person's when `user` is not 0.
Result<std::vector<GroupedRow>> GroupEntries(store::Connection& conn, int64_t tenant, const std::string& path_pattern,
                                             const std::vector<std::string>& months, int64_t user);
// Every unit's own entries in `months`.
Result<std::vector<GroupedRow>> GroupEntriesByUnit(store::Connection& conn, int64_t tenant, const std::vector<std::string>& months);

// What the entry list filters on; unset members do not filter.
struct EntryFilter {
  std::optional<std::string> period, account, source_object;
  std::optional<int64_t> source_id, user_id;
  std::vector<std::string> unit_paths;  // within each of these subtrees (unit paths)
  int64_t after = 0, limit = 200;       // id > after; at most limit rows
};
Result<std::vector<EntryRow>> LoadEntries(store::Connection& conn, int64_t tenant, const EntryFilter& f);

// A paid order of [from, to) not yet posted, with its cost of goods and the lines without a cost.
struct OrderToPost {
  int64_t id = 0, unit_id = 0;
  std::optional<int64_t> owner_id;
  int64_t total_fen = 0;
  std::string ordered_at, code;
  int64_t cost_fen = 0, lines_without_cost = 0;
};
Result<std::vector<OrderToPost>> LoadOrdersToPost(store::Connection& conn, int64_t tenant, const std::string& from, const std::string& to);
// The posted entries of orders refunded or cancelled before `before` and not yet reversed.
Result<std::vector<EntryRow>> LoadEntriesToReverse(store::Connection& conn, int64_t tenant, const std::string& before);
// Drops a month's allocations (they are recomputed on every posting).
Status DeleteAllocations(store::Connection& conn, int64_t tenant, const std::string& period);
// Active people of a unit subtree (path LIKE pattern).
Result<int64_t> ActiveHeadcount(store::Connection& conn, int64_t tenant, const std::string& path_pattern);

}  // namespace keel::org::repo
