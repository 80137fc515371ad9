// Internals shared by the record service's files (records.cc, record_engine.cc,
// lead_conversion.cc, tenants.cc). Not part of the public API.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "domain/records.h"
#include "domain/rules.h"

namespace keel::domain::engine {

// May `ctx.p` write record `v` of `e` where it lies (role, owner, unit subtree, the entity's own
// CheckWriteScope)? Reads only.
Status CheckScope(WriteContext& ctx, const EntityDef& e, const ValueMap& v);
// The child rows (order lines) in the API's JSON shape.
nlohmann::json ChildrenToJson(const ChildDef& c, const std::vector<ValueMap>& rows);

}  // namespace keel::domain::engine
