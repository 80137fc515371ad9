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

class Ledger {
 public:
  Ledger(store::Database& db, const Clock& clock);

  // {commission_pct} — of order revenue, to the order's owner (HQ writes, everyone reads).
  Result<json> Settings(const Principal& p);
  Result<json> SaveSettings(const Principal& p, const json& body);

  // HQ shared-service costs: {name, monthly_amount, driver: revenue|headcount|orders|fixed, shares: {unit_id: pct}}.
  Result<json> SaveAllocationRule(const Principal& p, const json& body);
  Result<json> AllocationRules(const Principal& p);
  Result<json> ArchiveAllocationRule(const Principal& p, int64_t id);

  // Posts a month (HQ): its orders (and those dated in the closed months just before it, booked on
  // its first day), refunds of earlier orders, commissions and allocations.
  Result<json> PostPeriod(const Principal& p, const std::string& period);
  Result<json> ClosePeriod(const Principal& p, const std::string& period);
  Result<json> Periods(const Principal& p);
  // The month an item dated `day` posts to: its own month, or the first open one after it.
  Result<std::string> OpenPeriodFor(store::Connection& conn, int64_t tenant, const std::string& day);
  bool IsClosed(store::Connection& conn, int64_t tenant, const std::string& period);
  // One entry, inside the caller's write transaction.
  Status Append(store::Connection& conn, int64_t tenant, int64_t unit, int64_t user, const std::string& period, const std::string& day,
                const std::string& account, int64_t amount, const std::string& source_object, int64_t source_id, const std::string& memo,
                int64_t actor);

  // Entries the caller may see: ?period=&unit_id= (its subtree)&account=&source_object=&source_id=&user_id=.
  Result<json> Entries(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query);
  // A unit's P&L for a month (or a quarter/year: the sum of its months), with every line's source.
  Result<json> Pnl(const Principal& p, int64_t unit, const std::string& period);
  // Every unit the caller sees, with its subtree's figures: units, regions, the company.
  Result<json> Consolidated(const Principal& p, const std::string& period);

  // The figures of a unit subtree (path prefix), and of one person within it, for a month.
  Result<PnlFigures> Figures(store::Connection& conn, int64_t tenant, const std::string& unit_path, const std::string& period,
                             int64_t user = 0);
  static json FiguresJson(const PnlFigures& f);

 private:
  // What a posting did, counted step by step.
  struct PostingCounts {
    int64_t posted = 0, reversed = 0, allocated = 0, entries = 0, missing_cost = 0;
  };
  Result<json> PostLocked(store::Connection& conn, const Principal& p, const std::string& period);
  Status PostOrders(store::Connection& conn, int64_t tenant, int64_t actor, const std::string& period, PostingCounts& n);
  Status ReverseRefunds(store::Connection& conn, int64_t tenant, int64_t actor, const std::string& period, const std::string& before,
                        const std::string& last_day, PostingCounts& n);
  Status Allocate(store::Connection& conn, int64_t tenant, int64_t actor, const std::string& period, const std::string& last_day,
                  PostingCounts& n);

  store::Database& db_;
  const Clock& clock_;
};

}  // namespace keel::org
