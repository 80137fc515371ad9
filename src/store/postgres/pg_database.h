#pragma once
#include <memory>
#include <string>

#include "store/database.h"

namespace keel::store {
// Connects to PostgreSQL through libpq; `conninfo` is a URL or key=value string.
Result<std::unique_ptr<Database>> OpenPostgres(const std::string& conninfo,
                                               const DatabaseOptions& options);
}  // namespace keel::store
