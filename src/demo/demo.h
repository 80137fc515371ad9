// The demo company (演示企业): a deterministic generator of a believable Chinese home-appliance
// maker — regions, sales units, stores, people, products, customers and a year of history with
// planted, documented structure (docs/demo.md) — written through the domain layer, so every
// record is validated and has its event. Same seed and end date → same data.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "domain/auth.h"
#include "domain/records.h"
#include "store/database.h"

namespace keel::org {
class ApprovalEngine;
class Commerce;
class BudgetService;
class ExpenseService;
class Governance;
class Ledger;
class ProfitSharing;
}

namespace keel::demo {

struct DemoOptions {
  uint64_t seed = 20261127;
  int scale = 1;              // 10 for benchmarks: ten times the customers, leads and orders
  std::string end_date;       // last day of history, YYYY-MM-DD; empty: yesterday (Asia/Shanghai)
  std::string tenant_code = "demo";
  std::string password;       // shared by the demo logins; empty: a random one
  bool quiet = false;
};

struct DemoSummary {
  int64_t tenant_id = 0;
  std::string password;
  std::vector<std::pair<std::string, std::string>> logins;  // username, role description
  std::map<std::string, int64_t> counts;
  double seconds = 0;
  // Planted truth, for tests of what models should find: each rep's user id → the local start
  // hour of the 2-hour window in which their calls connect best.
  std::map<int64_t, int> preferred_call_hour;
  // The last local day of the history (YYYY-MM-DD), and the sales unit whose store visits on
  // that day and the day before report a planted stock-out of wall-mounted ACs.
  std::string last_day;
  int64_t stockout_unit = 0;
};

// When a demo whose history ends on `end_date` (YYYY-MM-DD) is generated: 09:00 Asia/Shanghai
// the next morning. `keel demo --end-date` runs every service on a clock that starts there, so
// "today", "last month" and "this quarter" agree with the history. Fails on a malformed date.
Result<TimeMs> MorningAfter(const std::string& end_date);

// Creates the tenant and its history, ending on options.end_date or, when empty, on yesterday by
// `records.clock()` (Asia/Shanghai). Fails with kConflict if the tenant code exists, with
// demo.end_date if the end date is not before the clock's today, and with
// demo.generation_failed (naming the step, the end date and the reason) if a step fails.
Result<DemoSummary> Generate(store::Database& db, domain::RecordService& records,
                             domain::AuthService& auth, const DemoOptions& options);

// A quote SeedUnits submitted.
struct SeededQuote {
  int64_t id = 0;
  std::string code, name;
  double discount_pct = 0;
  std::string status;                 // approved | pending_approval
  std::optional<int64_t> approval_id;  // when it waits for approval
  std::optional<int64_t> order_id;     // the first one, accepted: the order it became
};

// What SeedUnits set up (counts of what it created).
struct UnitsSeed {
  int64_t rep_id = 0;  // sh-rep-01
  std::vector<SeededQuote> quotes;
  int budgets = 0, materials = 0, case_reviews = 0, boundaries = 0, sandboxes = 0, checkpoints = 0;
  std::vector<std::pair<std::string, std::string>> feedback_links;  // region name, public path
};

// A month of the ledger SeedAccounting posted.
struct LedgerMonth {
  std::string period;  // YYYY-MM
  int64_t entries = 0;
  bool closed = false;
};

// What SeedAccounting did.
struct AccountingSeed {
  std::string last_month;  // YYYY-MM
  int claims = 0, approved_at_once = 0, pending = 0, posted = 0, refused_over_budget = 0;
  std::vector<LedgerMonth> months;
  int64_t statements = 0;  // profit-sharing statements
};

// Pricing authority (HQ 5 %; each sales unit's reps 8 %, 12 % on ACs from 50,000 yuan; unit
// leads 15 %) and three quotes by sh-rep-01 submitted through `commerce` — with this quarter's
// budgets, the materials library (HQ's price list in two versions, brand book, deck, contract
// template; a unit's playbook), three case reviews, one public feedback link per region and each
// sales unit's governance (boundaries, sandbox) with HQ's two checkpoints.
Result<UnitsSeed> SeedUnits(store::Database& db, domain::RecordService& records, org::Commerce& commerce, int64_t tenant);

// The units' accounting for the demo: expense policy, claims of last month and this month (last
// month's posted), HQ allocations, the ledger of the last four months (the two oldest closed) and
// profit-sharing statements for last month and the one before: returns a summary.
Result<AccountingSeed> SeedAccounting(store::Database& db, domain::RecordService& records, org::ApprovalEngine& approvals,
                                      org::BudgetService& budgets, org::Ledger& ledger, org::ProfitSharing& sharing,
                                      org::ExpenseService& expenses, org::Governance* governance, int64_t tenant);

}  // namespace keel::demo
