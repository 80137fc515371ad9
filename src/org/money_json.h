// The JSON form of the money side's views — budgets, the expense policy and claims, profit
// sharing, feedback links: what the HTTP API sends (docs/api.md, the OpenAPI document) and, where
// a service records the same shape in an audit row, an event or a stored statement, what it
// records. One place, so the wire shape cannot drift between them.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "org/budgets.h"

namespace keel::org {

nlohmann::json ToJson(const Budget& b);  // entries only when it has them (GET /budgets/{id})
nlohmann::json ToJson(const std::vector<Budget>& budgets);  // {items}

}  // namespace keel::org
