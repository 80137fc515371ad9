// The agile units' commercial documents: pricing authority, quotes, orders from quotes and
// contracts. Quotes and contracts are approved by the workflow engine (org/workflow): this service
// submits a quote (within the submitter's pricing authority it is approved on the spot; beyond it,
// it goes through the tenant's `quote_discount` workflow), turns an approved quote into an order,
// signs an approved contract after legal review, and moves contracts through their lifecycle on
// the engine's minute tick. Compliance checkpoints on quotes at "submit" and contracts at "sign"
// run first (with a Governance set). The service takes commands and returns views (their JSON is
// org/commerce/json.h); quotes, orders and contracts themselves are entity records, JSON like
// every record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "domain/records.h"
#include "org/workflow/approvals.h"
#include "store/database.h"

namespace keel::org {

class Governance;

// A pricing authority rule (定价权限): the largest discount a role (every role: nullopt) of a unit
// and below may give, on a category prefix (every category: nullopt), from a deal size on.
struct PricingAuthority {
  int64_t id = 0, unit_id = 0;
  std::optional<std::string> unit;  // the unit's name (lists only)
  std::optional<std::string> role, category_prefix;
  double min_amount = 0;  // yuan
  double max_discount_pct = 0;
  bool pct_is_integer = false;  // a rule just saved shows the percent as it was written (8, not 8.0)
};
// A rule as requested. A member of the wrong type arrives so that the service reports the same
// error as for a wrong value: unit_id and max_discount_pct nullopt, role "?", min_amount -1,
// category_prefix empty (ignored). `problem` is the request's shape (not an object, an unknown
// member), reported after the permission check.
struct PricingAuthorityDraft {
  std::optional<int64_t> unit_id;
  std::string role;             // empty: every role
  std::string category_prefix;  // empty: every category
  double min_amount = 0;        // yuan
  std::optional<double> max_discount_pct;
  bool pct_is_integer = false;  // written as an integer: shown back as one (and so audited)
  Status problem;
};

// One quote line against its owner's authority.
struct QuoteLineCheck {
  int64_t line_no = 0, product_id = 0;
  std::string category;
  double discount_pct = 0;
  double max_discount_pct = 0;     // the owner's limit (5 % where no rule applies)
  std::optional<int64_t> rule_id;  // nullopt: no rule applies
  bool within = false;
};
struct QuoteCheck {
  int64_t quote_id = 0;
  std::string role;  // the owner's
  bool within_authority = true;
  std::vector<QuoteLineCheck> lines;
};

// POST /quotes/{id}/submit. `comment` goes to the workflow: one of the wrong JSON type holds the
// 400 reading it gave, reported when the workflow starts (as SubmitRequest). `problem`: not an
// object, an unknown member, override_reason not a text — after the permission check.
struct QuoteSubmit {
  Result<std::string> comment = std::string();
  std::string override_reason;  // unit leads and HQ: why a blocking checkpoint is overridden
  Status problem;
};
// A submitted quote. `quote` is the record; `compliance` what the checkpoints said, as
// Governance::Check answers it.
struct QuoteSubmission {
  std::string status;  // approved (within authority), or the quote's status while it waits
  bool within_authority = false;
  QuoteCheck check;
  std::optional<Submission> approval;  // beyond authority: the quote_discount request
  nlohmann::json quote, compliance;
};

// POST /quotes/{id}/order. `channel` and `ordered_at` are values of the order's fields as the
// request gives them: JSON, the orders entity checks them like any record's fields. `problem`:
// not an object, an unknown member — reported once the quote is read.
struct QuoteToOrder {
  std::optional<nlohmann::json> channel;     // nullopt: b2b
  std::optional<nlohmann::json> ordered_at;  // nullopt: now
  Status problem;
};
// The order made from a quote, and the quote (now accepted): both records.
struct QuoteOrder {
  nlohmann::json order, quote;
};

// POST /contracts/{id}/sign. `problem`: not an object, an unknown member, legal_reviewed not true
// or false, override_reason not a text — reported once the contract is read.
struct ContractSign {
  std::optional<bool> legal_reviewed;  // nullopt: as the contract says
  std::string override_reason;
  Status problem;
};
// The signed contract (a record) and what the compliance checkpoints said ({} without a Governance).
struct SignedContract {
  nlohmann::json contract, compliance;
};

// A contract the lifecycle moved.
struct ContractMove {
  int64_t id = 0;
  std::string from, to;
};
struct LifecycleRun {
  std::string day;  // the tenant's local day
  std::vector<ContractMove> changed;
};

class Commerce {
 public:
  // Registers the contract lifecycle on the engine's minute tick: `approvals` must stop (its timer)
  // before this service is destroyed.
  Commerce(store::Database& db, domain::RecordService& records, ApprovalEngine& approvals, const Clock& clock);

  // ---- Pricing authority (HQ sets it; everyone reads) ----
  // 403 for others; 400 naming the member at fault (unit_id required, max_discount_pct 0-100, role,
  // min_amount 0-1e12 yuan, unit_id of the tenant).
  Result<PricingAuthority> SaveAuthority(const domain::Principal& p, const PricingAuthorityDraft& draft);
  Result<std::vector<PricingAuthority>> Authorities(const domain::Principal& p);
  // 404 for no such rule.
  Status ArchiveAuthority(const domain::Principal& p, int64_t id);
  // What the quote owner's authority says about a quote, line by line: the most specific rule
  // (deepest unit on the quote's path, a role-specific one, the longest category prefix, the
  // largest deal-size threshold the quote reaches); 5 % where no rule applies.
  Result<QuoteCheck> CheckQuote(const domain::Principal& p, int64_t quote_id);

  // ---- Quotes ----
  // Compliance first (a blocking checkpoint refuses with 422 compliance.blocked unless a unit
  // lead or HQ overrides it with a reason); within authority the quote is approved at once,
  // beyond it the quote_discount workflow starts. 409 quote.status unless draft or rejected.
  Result<QuoteSubmission> SubmitQuote(const domain::Principal& p, int64_t quote_id, const QuoteSubmit& submit);
  // An approved (sent or accepted) quote becomes an order with its lines and prices, once. The
  // quote is then accepted and names its order. 409 quote.status, quote.ordered, quote.expired.
  Result<QuoteOrder> OrderFromQuote(const domain::Principal& p, int64_t quote_id, const QuoteToOrder& order);

  // ---- Contracts ----
  // Signs an approved contract (its owner, unit leads or HQ): legal review is required (422
  // contract.legal_review), and the tenant's compliance checkpoints on contracts at "sign" run
  // first (a blocking one can be overridden with a reason by a unit lead or HQ, audited).
  Result<SignedContract> SignContract(const domain::Principal& p, int64_t contract_id, const ContractSign& sign);
  // Contracts over time (the tenant's local day): signed → active from the start date, expiring
  // 30 days before the end (with a renewal task for the owner), expired after it, renewed once a
  // contract that renews it is signed. Runs on the engine's tick; tests call it directly.
  Result<LifecycleRun> ContractLifecycle(int64_t tenant_id);

  // Compliance checkpoints; not owned, must outlive the service (null: none).
  void SetGovernance(Governance* governance) { governance_ = governance; }

 private:
  store::Database& db_;
  domain::RecordService& records_;
  ApprovalEngine& approvals_;
  const Clock& clock_;
  Governance* governance_ = nullptr;
};

}  // namespace keel::org
