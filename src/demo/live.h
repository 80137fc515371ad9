// The moving demo (实时演示): a simulator that keeps feeding the demo company realistic facts
// while the server runs — store sales through the day (busier at lunch and in the evening),
// visits with check-in/out and calls by the reps in office hours, and deals moving through
// their stages — through the same ingestion path and domain rules as real clients, so metrics,
// dashboards, streams and alerts move. Deterministic per seed, paced by the injected clock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/status.h"
#include "common/time.h"
#include "domain/records.h"
#include "ingest/ingest.h"
#include "store/database.h"

namespace keel::demo {

struct LiveOptions {
  std::string tenant_code = "demo";
  uint64_t seed = 7;
  int64_t tick_ms = 1000;
  double orders_per_minute = 30;      // at the busiest hour, across all stores
  double activities_per_minute = 20;  // in office hours
  double stage_moves_per_minute = 2;
  double signals_per_minute = 0.2;     // news, tenders and social posts about customers with open deals
  bool run_thread = true;  // false: Start only loads; the caller drives Tick() (tests)
};

class LiveSimulator {
 public:
  // References must outlive the simulator.
  LiveSimulator(store::Database& db, domain::RecordService& records, ingest::Ingestor& ingest, const Clock& clock,
                LiveOptions options = {});
  ~LiveSimulator();
  // Loads the tenant's stores, products, customers, reps and open deals, then starts feeding.
  // Fails with NotFound when the tenant does not exist.
  Status Start();
  void Stop();
  // One tick of simulated activity at the clock's time (tests drive it directly).
  Status Tick();
  int64_t facts_sent() const { return sent_.load(); }

  struct State;

 private:
  store::Database& db_;
  domain::RecordService& records_;
  ingest::Ingestor& ingest_;
  const Clock& clock_;
  LiveOptions options_;
  std::unique_ptr<State> state_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> sent_{0};
  std::thread thread_;
};

}  // namespace keel::demo
