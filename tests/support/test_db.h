// Test databases: a fresh SQLite file or a fresh PostgreSQL database on a throw-away cluster
// that the test process starts itself (initdb on a temp dir, a free loopback port; as the
// unprivileged `postgres` user when running as root) and stops at exit.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>

#include "store/database.h"

namespace keel::testing {

enum class TestBackend { kSqlite, kPostgres };

std::string BackendName(TestBackend b);

// A free TCP port on 127.0.0.1 (free when asked; another process may take it after).
int FreePort();

// A new empty database with the schema migrated. Aborts the test on failure.
std::unique_ptr<store::Database> NewDatabase(TestBackend backend, std::string* url_out = nullptr,
                                             int pool_size = 8);

// The connection string of a new empty PostgreSQL database (starting the cluster on first use).
std::string NewPostgresUrl();

// Inserts bare active tenants with these ids (code "t<id>", UTC), for tests below the domain
// layer (the event log, consumers) that need tenant rows but no units or users.
void InsertBareTenants(store::Database& db, std::initializer_list<int64_t> ids);
// The repository root (tests read data files from it).
std::string SourceDir();
// A new temp directory (removed at exit).
std::string TempDir();

// The path of a file under the shared public datasets (`../shared/datasets` beside the
// repository, or $KEEL_DATASETS), or "" when it is absent. Tests skip on "" — except under
// CI=true, where a missing dataset fails them (see DatasetOrSkip in dataset.h).
std::string SharedDataset(const std::string& relative);

}  // namespace keel::testing
