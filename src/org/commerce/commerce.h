// The agile units' commercial documents: pricing authority, quotes, orders from quotes and
// contracts. Quotes and contracts are approved by the workflow engine (org/workflow): this service
// submits a quote (within the submitter's pricing authority it is approved on the spot; beyond it,
// it goes through the tenant's `quote_discount` workflow), turns an approved quote into an order,
// signs an approved contract after legal review, and moves contracts through their lifecycle on
// the engine's minute tick. Compliance checkpoints on quotes at "submit" and contracts at "sign"
// run first (with a Governance set).
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "domain/records.h"
#include "store/database.h"

namespace keel::org {

class ApprovalEngine;
class Governance;

class Commerce {
 public:
  using json = nlohmann::json;
  // Registers the contract lifecycle on the engine's minute tick: `approvals` must stop (its timer)
  // before this service is destroyed.
  Commerce(store::Database& db, domain::RecordService& records, ApprovalEngine& approvals, const Clock& clock);

  // ---- Pricing authority (HQ sets it; everyone reads) ----
  // {unit_id, role?, category_prefix?, min_amount? (yuan), max_discount_pct (0-100)}
  Result<json> SaveAuthority(const domain::Principal& p, const json& body);
  Result<json> Authorities(const domain::Principal& p);
  Result<json> ArchiveAuthority(const domain::Principal& p, int64_t id);
  // What the quote owner's authority says about a quote, line by line: the most specific rule
  // (deepest unit on the quote's path, a role-specific one, the longest category prefix, the
  // largest deal-size threshold the quote reaches); 5 % where no rule applies.
  Result<json> CheckQuote(const domain::Principal& p, int64_t quote_id);

  // ---- Quotes ----
  // {comment?, override_reason?}: compliance first (a blocking checkpoint refuses with 422
  // compliance.blocked unless a unit lead or HQ overrides it with a reason); within authority the
  // quote is approved at once, beyond it the quote_discount workflow starts.
  Result<json> SubmitQuote(const domain::Principal& p, int64_t quote_id, const json& body);
  // An approved (sent or accepted) quote becomes an order with its lines and prices, once:
  // {channel? (b2b), ordered_at? (now)}. The quote is then accepted and names its order.
  Result<json> OrderFromQuote(const domain::Principal& p, int64_t quote_id, const json& body);

  // ---- Contracts ----
  // Signs an approved contract (its owner, unit leads or HQ): {legal_reviewed?, override_reason?};
  // legal review is required, and the tenant's compliance checkpoints on contracts at "sign" run
  // first (a blocking one can be overridden with a reason by a unit lead or HQ, audited).
  Result<json> SignContract(const domain::Principal& p, int64_t contract_id, const json& body);
  // Contracts over time (the tenant's local day): signed → active from the start date, expiring
  // 30 days before the end (with a renewal task for the owner), expired after it, renewed once a
  // contract that renews it is signed. Runs on the engine's tick; tests call it directly.
  Result<json> ContractLifecycle(int64_t tenant_id);

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
