// The domain part's repository: SQL the domain's shared services need outside the record engine
// (so far the unit tree's reads). Rows are read by column name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "store/database.h"

namespace keel::domain {

// The materialised path of the tenant's unit ("/1000/1003/"), or nullopt when there is none.
Result<std::optional<std::string>> LoadUnitPath(store::Connection& conn, int64_t tenant, int64_t unit);

}  // namespace keel::domain
