#pragma once
#include <memory>
#include <string>

#include "store/database.h"

namespace keel::store {
// Opens (creating if needed) an SQLite file in WAL mode with foreign keys and a busy timeout.
Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path,
                                             const DatabaseOptions& options);
}  // namespace keel::store
