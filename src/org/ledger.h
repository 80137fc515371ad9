// The unit ledger (单元台账) and P&L (项目级核算). Every figure of a unit's P&L is the sum of
// ledger entries, each traceable to its source: revenue and cost of goods from paid orders
// (reversed when an order is refunded later), commissions on them, posted expense claims and
// HQ's shared-service costs allocated to the profit-centre units by rules (revenue share,
// headcount, order count or fixed shares). Posting a month is idempotent; a closed month takes
// no more entries. A unit's P&L is its subtree's entries; HQ's consolidated view lists every
// unit, region and the company.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
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

// The figures of a P&L, in fen; the names are the fields profit-sharing formulas use.
struct PnlFigures {
  int64_t revenue = 0, cogs = 0, expenses = 0, commissions = 0, allocations = 0;
  int64_t orders = 0;  // orders with revenue in the period (net of refunds)
  std::map<std::string, int64_t> expense_by_category, allocation_by_rule;
  int64_t gross_margin() const { return revenue - cogs; }
  int64_t contribution_margin() const { return gross_margin() - expenses - commissions; }
  int64_t operating_profit() const { return contribution_margin() - allocations; }
};

// The accounting settings: the commission on order revenue, in percent.
struct AccountingSettings {
  double commission_pct = 0;
  std::optional<std::string> updated_at;  // none until changed
};
// A change of the settings: what the request names (an absent figure resets to its default). A
// value that is not a number arrives as NaN; `problem` is a shape error of the request (an unknown
// member), reported after the permission check.
struct SettingsChange {
  std::optional<double> commission_pct;
  Status problem;
};

// An HQ shared-service cost and how it is allocated.
struct AllocationRule {
  int64_t id = 0;
  std::string name;
  int64_t monthly_amount_fen = 0;
  std::string driver;                      // revenue, headcount, orders, fixed
  std::map<std::string, double> shares;    // fixed: unit id → percent
  std::optional<std::string> created_at;   // listed rules only
};
// A new rule as requested: a mistyped text is empty, a mistyped number NaN (the service says
// which is wrong); `problem` as in SettingsChange.
struct AllocationRuleDraft {
  std::string name;
  std::optional<double> monthly_amount;  // yuan; nullopt when absent
  std::string driver = "revenue";
  // fixed: (key as written, percent); nullopt when absent or not an object.
  std::optional<std::vector<std::pair<std::string, double>>> shares;
  Status problem;
};

// What posting a month wrote.
struct Posting {
  std::string period;
  int64_t orders_posted = 0, orders_reversed = 0, allocations = 0, entries = 0, lines_without_cost = 0;
};
struct ClosedPeriod {
  std::string period, closed_at;
  Posting last_posting;
};
struct LedgerPeriod {
  std::string period, status;
  std::optional<std::string> posted_at, closed_at;
  std::optional<int64_t> closed_by;
};

struct LedgerEntry {
  int64_t id = 0, unit_id = 0;
  std::string unit;
  std::optional<int64_t> user_id;
  std::string period, day, account;
  int64_t amount_fen = 0;
  std::string source_object;
  int64_t source_id = 0;
  std::optional<std::string> memo;
  std::string posted_at;
};
struct LedgerEntryPage {
  std::vector<LedgerEntry> items;
  std::optional<int64_t> next_after;  // the next page starts after this id
};

// A unit's P&L for a period, with each month's ledger status.
struct UnitPnl {
  int64_t unit_id = 0;
  std::string unit, unit_code, kind, period;
  std::map<std::string, std::string> months;  // month → not_posted, open, closed
  PnlFigures figures;
};
// One row of the consolidated P&L: a unit with its subtree (figures) and alone (own).
struct ConsolidatedRow {
  int64_t unit_id = 0;
  std::string unit, code, kind;
  std::optional<int64_t> parent_id;
  int64_t depth = 0;
  PnlFigures figures, own;
};
struct ConsolidatedPnl {
  std::string period;
  std::vector<ConsolidatedRow> items;
};

class Ledger {
 public:
  Ledger(store::Database& db, const Clock& clock);

  // {commission_pct} — of order revenue, to the order's owner (HQ writes, everyone reads).
  Result<AccountingSettings> Settings(const Principal& p);
  Result<AccountingSettings> SaveSettings(const Principal& p, const SettingsChange& change);

  // HQ shared-service costs: {name, monthly_amount, driver: revenue|headcount|orders|fixed, shares: {unit_id: pct}}.
  Result<AllocationRule> SaveAllocationRule(const Principal& p, const AllocationRuleDraft& draft);
  Result<std::vector<AllocationRule>> AllocationRules(const Principal& p);
  Status ArchiveAllocationRule(const Principal& p, int64_t id);

  // Posts a month (HQ): its orders (and those dated in the closed months just before it, booked on
  // its first day), refunds of earlier orders, commissions and allocations.
  Result<Posting> PostPeriod(const Principal& p, const std::string& period);
  Result<ClosedPeriod> ClosePeriod(const Principal& p, const std::string& period);
  Result<std::vector<LedgerPeriod>> Periods(const Principal& p);
  // The month an item dated `day` posts to: its own month, or the first open one after it.
  Result<std::string> OpenPeriodFor(store::Connection& conn, int64_t tenant, const std::string& day);
  bool IsClosed(store::Connection& conn, int64_t tenant, const std::string& period);
  // One entry, inside the caller's write transaction.
  Status Append(store::Connection& conn, int64_t tenant, int64_t unit, int64_t user, const std::string& period, const std::string& day,
                const std::string& account, int64_t amount, const std::string& source_object, int64_t source_id, const std::string& memo,
                int64_t actor);

  // Entries the caller may see: ?period=&unit_id= (its subtree)&account=&source_object=&source_id=&user_id=.
  Result<LedgerEntryPage> Entries(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query);
  // A unit's P&L for a month (or a quarter/year: the sum of its months), with every line's source.
  Result<UnitPnl> Pnl(const Principal& p, int64_t unit, const std::string& period);
  // Every unit the caller sees, with its subtree's figures: units, regions, the company.
  Result<ConsolidatedPnl> Consolidated(const Principal& p, const std::string& period);

  // The figures of a unit subtree (path prefix), and of one person within it, for a month.
  Result<PnlFigures> Figures(store::Connection& conn, int64_t tenant, const std::string& unit_path, const std::string& period,
                             int64_t user = 0);
  // The figures as a P&L shows them (yuan, margins): stored in profit-sharing statements too.
  static json FiguresJson(const PnlFigures& f);

 private:
  // What a posting did, counted step by step.
  struct PostingCounts {
    int64_t posted = 0, reversed = 0, allocated = 0, entries = 0, missing_cost = 0;
  };
  Result<Posting> PostLocked(store::Connection& conn, const Principal& p, const std::string& period);
  Status PostOrders(store::Connection& conn, int64_t tenant, int64_t actor, const std::string& period, PostingCounts& n);
  Status ReverseRefunds(store::Connection& conn, int64_t tenant, int64_t actor, const std::string& period, const std::string& before,
                        const std::string& last_day, PostingCounts& n);
  Status Allocate(store::Connection& conn, int64_t tenant, int64_t actor, const std::string& period, const std::string& last_day,
                  PostingCounts& n);

  store::Database& db_;
  const Clock& clock_;
};

}  // namespace keel::org
