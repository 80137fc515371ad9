// The JSON form of the ledger's views: what the HTTP API sends (docs/api.md, the OpenAPI
// document), what audit rows record of a settings change, and what tests read. One place, so the
// wire shape cannot drift between them.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "org/ledger.h"

namespace keel::org {

nlohmann::json ToJson(const AccountingSettings& s);
nlohmann::json ToJson(const AllocationRule& r);
nlohmann::json ToJson(const std::vector<AllocationRule>& rules);  // {items}
nlohmann::json ToJson(const Posting& p);
nlohmann::json ToJson(const ClosedPeriod& c);
nlohmann::json ToJson(const std::vector<LedgerPeriod>& periods);  // {items}
nlohmann::json ToJson(const LedgerEntryPage& page);
nlohmann::json ToJson(const UnitPnl& pnl);  // with its lines, formulas and the link to its entries
nlohmann::json ToJson(const ConsolidatedPnl& c);

}  // namespace keel::org
