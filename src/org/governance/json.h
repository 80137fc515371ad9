// The JSON form of governance's views: what the HTTP API sends (docs/api.md, the OpenAPI
// document), what audit rows record of a change, and what other parts embed in their answers (the
// compliance outcome of quote and expense submission and contract signing). One place, so the
// wire shape cannot drift between them.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "org/governance.h"

namespace keel::org {

// {id, action, mode, limit (yuan | null), note (| null)}.
nlohmann::json ToJson(const BoundaryTier& t);
// {unit_id, unit, entries, effective: [{action, from_unit_id, from_unit, inherited, tiers, default?}], actions}.
nlohmann::json ToJson(const UnitBoundaries& b);
// {mode, rule_id | null, unit_id | null, limit | null}.
nlohmann::json ToJson(const BoundaryDecision& d);
// The decision with its action and amount.
nlohmann::json ToJson(const BoundaryAnswer& a);
nlohmann::json ToJson(const BoundaryReportReceipt& r);
nlohmann::json ToJson(const std::vector<BoundaryReport>& reports);  // {items}
nlohmann::json ToJson(const NewestFirst<BoundaryReport>& page);     // {items, next_after only when more}
nlohmann::json ToJson(const ComplianceCheckpoint& c);
nlohmann::json ToJson(const std::vector<ComplianceCheckpoint>& checkpoints);  // {items}
// {"flags": [{event_id, checkpoint_id, name, message_zh, message_en}], "overrides": [… + reason, by, at]}.
nlohmann::json ToJson(const ComplianceOutcome& c);
nlohmann::json ToJson(const std::vector<ComplianceEvent>& events);  // {items}
nlohmann::json ToJson(const NewestFirst<ComplianceEvent>& page);     // {items, next_after only when more}
// {configured, allowed_roles, max_members | null, may_disable}: a sandbox's settings (audit rows).
nlohmann::json SandboxSettingsJson(const UnitSandbox& s);
// The settings with unit_id, unit, headcount and the log.
nlohmann::json ToJson(const UnitSandbox& s);
nlohmann::json ToJson(const UnitMembers& m);

}  // namespace keel::org
