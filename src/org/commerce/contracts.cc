// Contracts: signing an approved contract, and the lifecycle of contracts in force.
#include <spdlog/spdlog.h>

#include "domain/codec.h"
#include "domain/schema.h"
#include "events/lease.h"
#include "org/commerce/commerce.h"
#include "org/commerce/store.h"
#include "org/governance/json.h"
#include "org/internal.h"
#include "org/workflow/approvals.h"
#include "store/tenant_scope.h"

namespace keel::org {

using json = nlohmann::json;
using domain::Principal;

Commerce::Commerce(store::Database& db, domain::RecordService& records, ApprovalEngine& approvals, const Clock& clock)
    : db_(db), records_(records), approvals_(approvals), clock_(clock) {
  approvals_.OnTick([this](int64_t tenant) {
    auto c = ContractLifecycle(tenant);
    if (!c.ok()) spdlog::warn("contracts: lifecycle of tenant {} failed: {}", tenant, c.status().ToString());
  });
}

Result<SignedContract> Commerce::SignContract(const Principal& p, int64_t id, const ContractSign& sign) {
  if (domain::IsReadOnly(p.role)) return Forbidden("read-only roles do not sign contracts", "只读角色不能签署合同");
  const domain::EntityDef& contracts = *domain::FindEntity("contracts");
  KEEL_ASSIGN_OR_RETURN(json contract, records_.Get(p, contracts, id));
  KEEL_RETURN_IF_ERROR(sign.problem);
  if (contract.value("status", "") != "approved") {
    return Status::Error(ErrorKind::kConflict, "contract.status", "only an approved contract is signed; this one is " + contract.value("status", ""),
                         "只有已批准的合同可以签署；当前状态为 " + contract.value("status", ""), "status");
  }
  json patch = {{"status", "signed"}};
  if (sign.legal_reviewed) {
    patch["legal_reviewed"] = *sign.legal_reviewed;
    contract["legal_reviewed"] = *sign.legal_reviewed;
  }
  // Legal review first: a signing that cannot happen leaves no compliance event behind.
  if (!contract.value("legal_reviewed", json(false)).is_boolean() || !contract["legal_reviewed"].get<bool>()) {
    return Status::Error(ErrorKind::kUnprocessable, "contract.legal_review", "a contract is signed only after legal review",
                         "合同须经法务审核后方可签署", "legal_reviewed");
  }
  json compliance = json::object();
  if (governance_ != nullptr) {
    KEEL_ASSIGN_OR_RETURN(ComplianceOutcome outcome, governance_->Check(p, "contracts", "sign", id, contract, sign.override_reason));
    compliance = ToJson(outcome);
  }
  domain::WriteOptions opt;
  opt.checked = true;
  KEEL_ASSIGN_OR_RETURN(json signed_, records_.Update(p, contracts, id, patch, opt));
  return SignedContract{.contract = std::move(signed_), .compliance = std::move(compliance)};
}

Result<LifecycleRun> Commerce::ContractLifecycle(int64_t tenant) {
  store::TenantScope scope(tenant);  // the pass sees and writes only this tenant's rows
  auto sys = Principal::System(tenant);
  const domain::EntityDef& contracts = *domain::FindEntity("contracts");
  std::string today;
  std::vector<commerce::LiveContract> live;
  std::set<int64_t> renewed;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(today, LocalToday(*conn, tenant, clock_.NowMs()));
    KEEL_ASSIGN_OR_RETURN(live, commerce::LoadLiveContracts(*conn, tenant));
    KEEL_ASSIGN_OR_RETURN(renewed, commerce::LoadRenewedContracts(*conn, tenant));
  }
  auto day_minus = [](const std::string& date, int days) {
    auto d = ParseDate(date);
    return d.ok() ? FormatDate(*d - days) : date;
  };
  LifecycleRun run{.day = today, .changed = {}};
  for (const auto& c : live) {
    std::string next = c.status;
    if (renewed.count(c.id)) next = "renewed";
    else if (c.end_date < today) next = "expired";
    else if (day_minus(c.end_date, 30) <= today && c.start_date <= today) next = "expiring";
    else if (c.status == "signed" && c.start_date <= today) next = "active";
    if (next == c.status) continue;
    // Only if nobody moved it meanwhile (a contract terminated a moment ago stays terminated).
    KEEL_ASSIGN_OR_RETURN(json now_rec, records_.Get(sys, contracts, c.id));
    if (now_rec["status"] != c.status) continue;
    KEEL_RETURN_IF_ERROR(records_.Update(sys, contracts, c.id, {{"status", next}}).status());
    run.changed.push_back({c.id, c.status, next});
    if (next == "expiring" && c.owner_id) {
      // The owner's renewal reminder, due on the last day — once per contract across nodes (a
      // node paused past the timer's lease may run this pass a second time).
      if (events::Leases* leases = events::AttachedLeases(db_)) {
        auto mine = leases->Claim(tenant, "contracts.renewal_task", std::to_string(c.id));
        if (!mine.ok()) return mine.status();
        if (!*mine) continue;
      }
      auto t = records_.Create(sys, *domain::FindEntity("tasks"),
                               {{"title", "续约 · " + c.code + " " + c.name}, {"owner_id", c.owner_id}, {"source", "workflow"}, {"priority", "high"},
                                {"related_entity", "contracts"}, {"related_id", c.id}, {"due_at", c.end_date + "T18:00:00+08:00"},
                                {"description", "The contract ends on " + c.end_date + ": agree the renewal (a new contract with renewal_of)."}});
      if (!t.ok()) spdlog::warn("contracts: renewal task for {} failed: {}", c.id, t.status().ToString());
    }
  }
  return run;
}

}  // namespace keel::org
