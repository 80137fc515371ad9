#include "events/consumer.h"
#include "store/tenant_scope.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <mutex>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "events/store.h"

namespace keel::events {

namespace {
using SteadyTime = std::chrono::steady_clock::time_point;

// Runs `fn`; nothing it throws may stop the thread: it is logged and the loop goes on.
template <typename Fn>
void Guarded(const std::string& consumer, const char* what, Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    spdlog::error("{}: {} failed: {}", consumer, what, e.what());
  }
}
}  // namespace

namespace {
// The consumers built on each database (ConsumersOf, WithConsumer).
std::mutex g_registry_mu;
std::multimap<const store::Database*, Consumer*>& Registry() {
  static auto* m = new std::multimap<const store::Database*, Consumer*>();
  return *m;
}

ConsumerOptions ResolveLeases(ConsumerOptions o, store::Database& db) {
  if (o.every_node) {
    o.leases = nullptr;
  } else if (!o.leases) {
    o.leases = AttachedLeases(db);
  }
  return o;
}
}  // namespace

Consumer::Consumer(store::Database& db, ConsumerHandler& handler, const Clock& clock, ConsumerOptions options)
    : db_(db), handler_(handler), clock_(clock), options_(ResolveLeases(std::move(options), db)) {
  std::lock_guard lock(g_registry_mu);
  Registry().emplace(&db_, this);
}

Consumer::~Consumer() {
  {
    // First: an operator's view that is using this consumer finishes before anything goes.
    std::lock_guard lock(g_registry_mu);
    auto [from, to] = Registry().equal_range(&db_);
    for (auto it = from; it != to; ++it) {
      if (it->second == this) {
        Registry().erase(it);
        break;
      }
    }
  }
  Stop();
}

std::vector<ConsumerSnapshot> ConsumersOf(store::Database& db) {
  std::map<std::string, ConsumerSnapshot> by_name;
  std::lock_guard lock(g_registry_mu);
  auto [from, to] = Registry().equal_range(&db);
  for (auto it = from; it != to; ++it) {
    const Consumer& c = *it->second;
    auto [at, fresh] = by_name.try_emplace(c.name());
    ConsumerSnapshot& s = at->second;
    const Consumer::Stats st = c.stats();
    if (fresh) {
      s.name = c.name();
      s.reads_events = c.reads_events();
      s.own_position = c.own_position();
      s.leased = c.leases() != nullptr;
    }
    s.running = s.running || c.running();
    s.stats.events += st.events;
    s.stats.batches += st.batches;
    s.stats.errors += st.errors;
    s.stats.jobs += st.jobs;
    for (const auto& [tenant, seq] : c.Positions()) s.positions[tenant] = std::max(s.positions[tenant], seq);
  }
  std::vector<ConsumerSnapshot> out;
  for (auto& [name, s] : by_name) out.push_back(std::move(s));
  return out;
}

bool WithConsumer(store::Database& db, std::string_view name, const std::function<void(Consumer&)>& fn) {
  std::lock_guard lock(g_registry_mu);
  auto [from, to] = Registry().equal_range(&db);
  for (auto it = from; it != to; ++it) {
    if (it->second->name() != name) continue;
    fn(*it->second);
    return true;
  }
  return false;
}

bool Consumer::MayRun(int64_t tenant) {
  // The one place that decides who runs a tenant: without leases this process runs them all.
  if (!options_.leases) return true;
  auto token = options_.leases->Hold(tenant, options_.name);
  MutexLock lock(mu_);
  if (!token.ok()) {
    spdlog::warn("{}: lease of tenant {} not renewed: {}", options_.name, tenant, token.status().ToString());
    held_.erase(tenant);
    return false;
  }
  if (!token->has_value()) {
    held_.erase(tenant);
    return false;
  }
  auto [it, fresh] = held_.insert_or_assign(tenant, **token);
  (void)it;
  if (fresh) spdlog::info("{}: took the lease of tenant {} (token {})", options_.name, tenant, **token);
  return true;
}

std::optional<int64_t> Consumer::LeaseToken(int64_t tenant) const {
  MutexLock lock(mu_);
  auto it = held_.find(tenant);
  if (it == held_.end()) return std::nullopt;
  return it->second;
}

void Consumer::LoadTenants() {
  auto conn = db_.Acquire();
  Result<std::vector<int64_t>> ids = conn.ok() ? TenantIds(**conn) : Result<std::vector<int64_t>>(conn.status());
  if (!ids.ok()) {
    spdlog::warn("{}: tenants not listed: {}", options_.name, ids.status().ToString());
    return;
  }
  MutexLock lock(mu_);
  known_.insert(ids->begin(), ids->end());
}

void Consumer::ReleaseLeases() {
  std::map<int64_t, int64_t> held;
  {
    MutexLock lock(mu_);
    held.swap(held_);
  }
  for (const auto& [tenant, token] : held) {
    Status st = options_.leases->Release(tenant, options_.name, token);
    if (!st.ok()) spdlog::warn("{}: lease of tenant {} not released: {}", options_.name, tenant, st.ToString());
  }
}

void Consumer::Start() {
  {
    MutexLock lock(mu_);
    if (started_) return;
  }
  if (options_.read_events && !options_.own_position) {
    auto conn = db_.Acquire();
    if (conn.ok()) {
      auto made = InitCursorsAtHead(**conn, options_.name, clock_.NowMs());
      if (!made.ok()) spdlog::warn("{}: cursors not initialised: {}", options_.name, made.status().ToString());
    } else {
      spdlog::warn("{}: cursors not initialised: {}", options_.name, conn.status().ToString());
    }
  }
  if (options_.leases) LoadTenants();
  MutexLock lock(mu_);
  if (started_) return;
  started_ = true;
  stop_ = false;
  if (options_.leases) pending_.insert(known_.begin(), known_.end());
  if (options_.wake_on_commit) listener_ = db_.AddCommitListener([this](int64_t tenant) { Notify(tenant); });
  thread_ = std::thread([this] { Run(); });
}

void Consumer::Stop() {
  {
    MutexLock lock(mu_);
    if (!started_) return;
    stop_ = true;
    started_ = false;
  }
  listener_.Reset();
  cv_.NotifyAll();
  if (thread_.joinable()) thread_.join();
  if (options_.leases) ReleaseLeases();
  MutexLock lock(mu_);
  busy_ = false;
  idle_cv_.NotifyAll();
}

bool Consumer::running() const {
  MutexLock lock(mu_);
  return started_;
}

void Consumer::Notify(int64_t tenant) {
  {
    MutexLock lock(mu_);
    pending_.insert(tenant);
    known_.insert(tenant);
  }
  cv_.NotifyAll();
}

void Consumer::NotifyAfter(int64_t tenant, int64_t delay_ms) {
  {
    MutexLock lock(mu_);
    auto at = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
    auto [it, fresh] = not_before_.emplace(tenant, at);
    if (!fresh) it->second = std::min(it->second, at);
    pending_.insert(tenant);
    known_.insert(tenant);
  }
  cv_.NotifyAll();
}

bool Consumer::Ready(int64_t tenant, SteadyTime now) const {
  if (auto b = backoff_.find(tenant); b != backoff_.end() && b->second.second > now) return false;
  if (auto d = not_before_.find(tenant); d != not_before_.end() && d->second > now) return false;
  return true;
}

bool Consumer::Idle(SteadyTime now) const {
  // A tenant waiting out a back-off or a delay is not work in hand.
  if (busy_ || !jobs_.empty()) return false;
  for (int64_t t : pending_) {
    if (Ready(t, now)) return false;
  }
  return true;
}

void Consumer::Post(std::function<void()> job) {
  {
    MutexLock lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.NotifyAll();
}

bool Consumer::WaitIdle(int64_t timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  MutexLock lock(mu_);
  while (!Idle(std::chrono::steady_clock::now())) {
    // Wakes at least every 50 ms: a delay or back-off ending makes work without a notification.
    auto until = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(50));
    idle_cv_.WaitUntil(mu_, until);
    if (std::chrono::steady_clock::now() >= deadline) return Idle(std::chrono::steady_clock::now());
  }
  return true;
}

Result<int64_t> Consumer::Cursor(int64_t tenant) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> seq, LoadCursor(*conn, tenant, options_.name));
  return seq.value_or(0);
}

Result<int64_t> Consumer::Position(int64_t tenant) {
  if (options_.own_position) return handler_.Position(tenant);
  return Cursor(tenant);
}

std::map<int64_t, int64_t> Consumer::Positions() const {
  MutexLock lock(mu_);
  return positions_;
}

Status Consumer::SetCursor(int64_t tenant, int64_t seq) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  return SetCursor(*conn, tenant, seq);
}

Status Consumer::SetCursor(store::Connection& conn, int64_t tenant, int64_t seq) {
  return SaveCursor(conn, tenant, options_.name, seq, clock_.NowMs());
}

Consumer::Stats Consumer::stats() const { return {events_.load(), batches_.load(), errors_.load(), jobs_done_.load()}; }

Status Consumer::RunTenant(int64_t tenant, bool* more) {
  store::TenantScope scope(tenant);
  *more = false;
  if (!options_.read_events) {
    KEEL_RETURN_IF_ERROR(handler_.Process(tenant, {}));
    batches_.fetch_add(1);
    return handler_.AfterTenant(tenant);
  }
  for (int round = 0; round < options_.max_rounds; ++round) {
    int64_t after = 0;
    std::vector<Event> evs;
    if (options_.own_position) {
      KEEL_ASSIGN_OR_RETURN(after, handler_.Position(tenant));  // before borrowing a connection: it may borrow one
    }
    {
      KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
      if (!options_.own_position) {
        // No row: a tenant created since Start, so all of its log is new.
        KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> seq, LoadCursor(*conn, tenant, options_.name));
        after = seq.value_or(0);
      }
      ReadOptions ro;
      ro.after_seq = after;
      ro.limit = options_.batch;
      KEEL_ASSIGN_OR_RETURN(evs, Read(*conn, tenant, ro));
    }
    if (options_.own_position && evs.empty()) {
      MutexLock lock(mu_);
      positions_[tenant] = after;
    }
    if (evs.empty()) break;
    KEEL_RETURN_IF_ERROR(handler_.Process(tenant, evs));
    if (options_.own_position) {
      MutexLock lock(mu_);
      positions_[tenant] = evs.back().seq;
    }
    events_.fetch_add(static_cast<int64_t>(evs.size()));
    batches_.fetch_add(1);
    if (!options_.own_position) KEEL_RETURN_IF_ERROR(MoveCursor(tenant, evs.back().seq));
    if (static_cast<int>(evs.size()) < options_.batch) {
      if (!options_.own_position) break;
      // A handler's position can move back (a new metric starts at 0): done only when it is at
      // the end of what was read.
      KEEL_ASSIGN_OR_RETURN(int64_t at, handler_.Position(tenant));
      if (at >= evs.back().seq) break;
    }
    if (round + 1 == options_.max_rounds) *more = true;
  }
  return handler_.AfterTenant(tenant);
}

Status Consumer::MoveCursor(int64_t tenant, int64_t seq) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  std::optional<int64_t> token = options_.leases ? LeaseToken(tenant) : std::nullopt;
  if (!options_.leases) return SaveCursor(*conn, tenant, options_.name, seq, clock_.NowMs());
  if (!token) {
    return Status::Error(ErrorKind::kConflict, "lease.lost", "the tenant's lease is not held here",
                         "本节点未持有该租户的租约");
  }
  // Under the fencing token: a node that lost the lease while it worked cannot move the cursor.
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn));
  if (Status fenced = options_.leases->Fence(*conn, tenant, options_.name, *token); !fenced.ok()) {
    MutexLock lock(mu_);
    held_.erase(tenant);
    return fenced;
  }
  KEEL_RETURN_IF_ERROR(SaveCursor(*conn, tenant, options_.name, seq, clock_.NowMs()));
  return tx.Commit();
}

Status Consumer::Drain(int64_t tenant) {
  if (!MayRun(tenant)) return Status();
  MutexLock work(work_mu_);
  bool more = true;
  while (more) KEEL_RETURN_IF_ERROR(RunTenant(tenant, &more));
  return Status();
}

void Consumer::Run() {
  MutexLock lock(mu_);
  while (true) {
    // Sleep until notified, a job, a back-off's or delay's end, or the wake interval. A
    // notification may bring a new delay: the deadline is worked out again after every wake-up.
    // With leases the interval is at most the renewal period: held leases are renewed and free
    // ones (a node died) are taken over in time.
    const int64_t wake_ms =
        options_.leases ? std::min(options_.wake_ms, options_.leases->renew_ms()) : options_.wake_ms;
    const auto interval_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(wake_ms);
    bool woken = false;
    while (!stop_) {
      auto now = std::chrono::steady_clock::now();
      auto until = interval_end;
      woken = !jobs_.empty();
      for (int64_t t : pending_) {
        if (Ready(t, now)) woken = true;
        if (auto b = backoff_.find(t); b != backoff_.end()) until = std::min(until, b->second.second);
        if (auto d = not_before_.find(t); d != not_before_.end()) until = std::min(until, d->second);
      }
      if (woken || now >= interval_end) break;
      cv_.WaitUntil(mu_, until);
    }
    if (stop_) return;
    busy_ = true;
    auto now = std::chrono::steady_clock::now();
    if (!jobs_.empty()) {
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      mu_.Unlock();
      Guarded(options_.name, "a job", job);
      jobs_done_.fetch_add(1);
      mu_.Lock();
    } else {
      std::set<int64_t> work;
      for (auto it = pending_.begin(); it != pending_.end();) {
        if (!Ready(*it, now)) {
          ++it;
          continue;
        }
        work.insert(*it);
        not_before_.erase(*it);
        it = pending_.erase(it);
      }
      // With leases every known tenant is looked at once per renewal period even while
      // notifications keep the thread busy: held leases are renewed, a dead node's taken over.
      const bool renew_due =
          options_.leases && now - last_poll_ >= std::chrono::milliseconds(options_.leases->renew_ms());
      const bool poll =
          renew_due || (!woken && work.empty() && (options_.poll_known_tenants || options_.leases));
      if (poll) last_poll_ = now;
      mu_.Unlock();
      if (poll && options_.leases) LoadTenants();  // tenants created through other nodes
      mu_.Lock();
      if (poll) {
        for (int64_t t : known_) {
          if (Ready(t, now) && !pending_.count(t)) work.insert(t);
        }
      }
      mu_.Unlock();
      for (int64_t tenant : work) {
        if (!MayRun(tenant)) continue;
        bool more = false;
        Status st;
        Guarded(options_.name, "processing", [&] {
          MutexLock w(work_mu_);
          st = RunTenant(tenant, &more);
        });
        MutexLock g(mu_);
        if (!st.ok()) {
          errors_.fetch_add(1);
          auto& b = backoff_[tenant];
          b.first = std::min(b.first + 1, 16);
          int64_t pause = std::min<int64_t>(options_.max_backoff_ms, 500LL << std::min(b.first, 10));
          b.second = std::chrono::steady_clock::now() + std::chrono::milliseconds(pause);
          pending_.insert(tenant);
          spdlog::warn("{}: tenant {} failed (retry in {} ms): {}", options_.name, tenant, pause, st.ToString());
        } else {
          backoff_.erase(tenant);
          if (more) pending_.insert(tenant);
        }
      }
      mu_.Lock();
    }
    // The periodic work throttles itself; it runs after every pass so busy tenants cannot starve it.
    mu_.Unlock();
    Guarded(options_.name, "the periodic work", [&] { handler_.Tick(); });
    mu_.Lock();
    busy_ = false;
    if (Idle(std::chrono::steady_clock::now())) idle_cv_.NotifyAll();
  }
}

}  // namespace keel::events
