// The demo tenant the benchmarks measure on: a fresh SQLite database, a manual clock at
// 2026-11-27 01:00 UTC and the demo company generated up to 2026-11-26.
#pragma once

#include <memory>

#include "common/time.h"
#include "demo/demo.h"
#include "domain/auth.h"
#include "domain/records.h"
#include "support/test_db.h"

namespace keel::bench {

struct DemoEnv {
  DemoEnv()
      : db(testing::NewDatabase(testing::TestBackend::kSqlite)),
        clock(MsFromCivil(2026, 11, 27, 1, 0, 0)),
        rs(*db, clock),
        auth(*db, clock, rs) {
    demo::DemoOptions o;
    o.end_date = "2026-11-26";
    o.password = "bench-password-123";
    o.quiet = true;
    demo = demo::Generate(*db, rs, auth, o).value();
  }
  std::unique_ptr<store::Database> db;
  ManualClock clock;
  domain::RecordService rs;
  domain::AuthService auth;
  demo::DemoSummary demo;
};

}  // namespace keel::bench
