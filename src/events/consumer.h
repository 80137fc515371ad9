// The one background consumer (后台消费者) of Keel: every engine that works in the background —
// the metric engine, AI rescoring, text analysis, the alert evaluator, the approval timer — is
// a ConsumerHandler run by an events::Consumer. The consumer owns the thread, the wake-up (a
// commit listener on the database, Notify, a poll interval), the durable per-tenant cursor in
// `consumer_cursors`, batching, error back-off per tenant, Stop/WaitIdle and counters. The
// handler only says what to do with a tenant's events (Process) and what to do now and then
// (Tick).
//
// Who may run a consumer for a tenant is decided in one place, Consumer::MayRun: without
// leases this process runs every tenant; with ConsumerOptions::leases (several nodes on one
// PostgreSQL) it runs a tenant only while it holds the lease (consumer, tenant), renews it every
// pass, looks at every tenant at least every renew interval (another node may have died), moves
// the cursor only under the lease's fencing token and gives its leases up on Stop.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "common/status.h"
#include "common/time.h"
#include "events/event_log.h"
#include "events/lease.h"
#include "store/database.h"

namespace keel::events {

// What an engine does with the log. Called on the consumer's thread (or on the caller's thread
// in Consumer::Drain), never two at a time for one consumer.
class ConsumerHandler {
 public:
  virtual ~ConsumerHandler() = default;
  // The tenant's next events, in order (at most ConsumerOptions::batch; empty when
  // read_events is false). On OK the cursor moves past the last one, durably; on an error it
  // stays, the error is logged and counted, and the tenant is retried after a back-off.
  virtual Status Process(int64_t tenant, std::span<const Event> events) = 0;
  // With own_position: where the tenant's events resume (the engine keeps its position with
  // its own state, e.g. the metric engine's persisted rollups). Not called otherwise.
  virtual Result<int64_t> Position(int64_t tenant) {
    (void)tenant;
    return int64_t{0};
  }
  // After the tenant's events are processed for this pass (flushes, publishing). Errors are
  // logged.
  virtual Status AfterTenant(int64_t tenant) {
    (void)tenant;
    return Status();
  }
  // Work that the log does not drive (the nightly batch, the daily recap, escalations); called
  // after every pass and at least every wake_ms. Throttles itself. Exceptions are caught.
  virtual void Tick() {}
};

struct ConsumerOptions {
  std::string name;                 // the cursor's key in consumer_cursors, log lines
  int batch = 500;                  // events per Process call
  int max_rounds = 20;              // batches per tenant per pass before others get a turn
  int64_t wake_ms = 30000;          // the longest sleep without a notification
  bool read_events = true;          // false: Process gets no events (woken per tenant only)
  bool own_position = false;        // the handler keeps its position (Position); no cursor row
  // With wake_ms elapsed and nothing notified, every tenant seen so far is looked at again
  // (other writers, other processes, timers).
  bool poll_known_tenants = false;
  bool wake_on_commit = true;       // a commit listener Notifies the tenant after its commits
  int64_t max_backoff_ms = 60000;   // the longest pause of a failing tenant
  // Set: other nodes may run this consumer too; a tenant runs here only under the lease
  // (name, tenant). Must outlive the consumer. Unset: the leases attached to the database
  // (AttachLeases), if any.
  Leases* leases = nullptr;
  // Runs on every node whatever the leases: state each node needs for itself (the metric
  // engine's in-memory rollups, folded from the log by every node).
  bool every_node = false;
};

// Thread-safe. Start once; Stop (or the destructor) joins the thread. The database and the
// handler must outlive the consumer.
class Consumer {
 public:
  Consumer(store::Database& db, ConsumerHandler& handler, const Clock& clock, ConsumerOptions options);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Gives every tenant without a cursor row one at its log's head (history is handled by
  // backfills, not replayed), registers the commit listener and starts the thread.
  void Start();
  // Stops the thread after the work in hand; idempotent.
  void Stop();
  bool running() const;
  // Wakes the thread for `tenant`.
  void Notify(int64_t tenant);
  // Wakes it for `tenant` in `delay_ms` (a handler throttling itself: "not before then").
  void NotifyAfter(int64_t tenant, int64_t delay_ms);
  // Queues `job` to run on the consumer's thread before the next tenant (long jobs such as
  // training); jobs run in order. Without a running thread they wait for Start.
  void Post(std::function<void()> job);
  // Waits until nothing is notified, queued or running; false on timeout.
  bool WaitIdle(int64_t timeout_ms);
  // Processes the tenant's events up to the log's head on the calling thread (tests, the CLI,
  // catch-up before a query), serialised with the thread. With leases, only when this node
  // holds (or can take) the tenant's lease; otherwise the node holding it does the work and
  // Drain returns at once.
  Status Drain(int64_t tenant);
  // With leases: the fencing token under which this node runs the tenant, if it does. A handler
  // passes it to Leases::Fence inside the transactions whose effects must not be doubled.
  std::optional<int64_t> LeaseToken(int64_t tenant) const;
  // The leases the consumer runs under; null without (every tenant runs here).
  Leases* leases() const { return options_.leases; }

  // The tenant's cursor (0 without a row). Not meaningful with own_position.
  Result<int64_t> Cursor(int64_t tenant);
  // Where the tenant's events resume: the handler's own position with own_position, else the
  // cursor. With own_position it may load the engine's state for the tenant (the metric engine's
  // rollups): ask for one tenant (an operator's view), not for every tenant of the database.
  Result<int64_t> Position(int64_t tenant);
  // Moves the tenant's cursor, e.g. to the head after a backfill has covered the log.
  Status SetCursor(int64_t tenant, int64_t seq);
  Status SetCursor(store::Connection& conn, int64_t tenant, int64_t seq);

  struct Stats {
    int64_t events = 0;    // handed to Process
    int64_t batches = 0;   // Process calls that succeeded
    int64_t errors = 0;    // Process/AfterTenant failures
    int64_t jobs = 0;      // posted jobs run
  };
  Stats stats() const;
  const std::string& name() const { return options_.name; }
  bool reads_events() const { return options_.read_events; }
  bool own_position() const { return options_.own_position; }
  // With own_position: how far this node has read each tenant's events (tenant → sequence
  // number), for the tenants it has worked on since it was built; empty otherwise.
  std::map<int64_t, int64_t> Positions() const;

 private:
  bool MayRun(int64_t tenant);
  // With leases: adds every tenant of the database to the known ones (their work may arrive
  // through another node).
  void LoadTenants();
  void ReleaseLeases();
  // Saves the tenant's cursor (under the lease's fencing token with leases).
  Status MoveCursor(int64_t tenant, int64_t seq);
  // One tenant's pass: up to max_rounds batches; *more when the log has more.
  Status RunTenant(int64_t tenant, bool* more) REQUIRES(work_mu_);
  void Run();

  store::Database& db_;
  ConsumerHandler& handler_;
  const Clock& clock_;
  const ConsumerOptions options_;  // leases resolved at construction
  store::CommitListener listener_;

  mutable Mutex mu_;
  CondVar cv_, idle_cv_;
  std::set<int64_t> pending_ GUARDED_BY(mu_);
  std::set<int64_t> known_ GUARDED_BY(mu_);
  std::map<int64_t, int64_t> held_ GUARDED_BY(mu_);  // with leases: tenant → fencing token
  std::chrono::steady_clock::time_point last_poll_ GUARDED_BY(mu_);  // every known tenant looked at
  std::deque<std::function<void()>> jobs_ GUARDED_BY(mu_);
  // Failing tenants: failures in a row and the end of the pause.
  std::map<int64_t, std::pair<int, std::chrono::steady_clock::time_point>> backoff_ GUARDED_BY(mu_);
  std::map<int64_t, std::chrono::steady_clock::time_point> not_before_ GUARDED_BY(mu_);  // NotifyAfter
  std::map<int64_t, int64_t> positions_ GUARDED_BY(mu_);  // with own_position: Positions()
  bool started_ GUARDED_BY(mu_) = false;
  bool stop_ GUARDED_BY(mu_) = false;
  bool busy_ GUARDED_BY(mu_) = false;
  std::thread thread_;
  Mutex work_mu_;  // one pass at a time: the thread's or a Drain

  // Whether a pending tenant may run at `now` (not pausing after failures, not delayed).
  bool Ready(int64_t tenant, std::chrono::steady_clock::time_point now) const REQUIRES(mu_);
  // Nothing queued, running or ready.
  bool Idle(std::chrono::steady_clock::time_point now) const REQUIRES(mu_);

  std::atomic<int64_t> events_{0}, batches_{0}, errors_{0}, jobs_done_{0};
};

// A consumer as operators see it (/metrics, GET /api/v1/cluster), at one moment.
struct ConsumerSnapshot {
  std::string name;
  bool reads_events = true;
  bool own_position = false;
  bool leased = false;
  bool running = false;
  Consumer::Stats stats;
  std::map<int64_t, int64_t> positions;  // with own_position: Consumer::Positions()
};
// The consumers built on `db` in this process and not yet destroyed, in name order (several of
// one name — tests — are added up into one). Thread-safe; reads no database.
std::vector<ConsumerSnapshot> ConsumersOf(store::Database& db);
// Calls `fn` with the consumer `name` built on `db`, which is not destroyed until `fn` returns
// (keep it short: building or destroying any consumer waits for it); false when there is none.
bool WithConsumer(store::Database& db, std::string_view name, const std::function<void(Consumer&)>& fn);

}  // namespace keel::events
