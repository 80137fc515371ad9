// The engine's lifecycle: construction, Start/Stop of the evaluator and the delivery threads,
// EvaluateNow, the listener; and the errors the part's files share.
#include "alerts/engine_impl.h"

#include <spdlog/spdlog.h>

#include "events/event_log.h"

namespace keel::alerts {

Status Bad(const std::string& field, const std::string& en, const std::string& zh) {
  return Status::Invalid("alert.invalid", en, zh, field);
}
Status Forbidden(const std::string& what_en, const std::string& what_zh) {
  return Status::Error(ErrorKind::kForbidden, "auth.forbidden", "only admin and hq_ops may " + what_en,
                       "只有管理员和销售运营可以" + what_zh);
}
// A refusal whose whole sentence is given.
Status Denied(const std::string& en, const std::string& zh) {
  return Status::Error(ErrorKind::kForbidden, "auth.forbidden", en, zh);
}
bool CanWrite(Role r) { return r == Role::kAdmin || r == Role::kHqOps; }
Status RequireAdmin(const Principal& p) {
  if (p.role == Role::kAdmin) return Status();
  return Denied("only admins manage webhooks", "只有管理员可以管理 Webhook");
}

Status AppendEvent(store::Connection& conn, const Principal& p, const std::string& type, const std::string& entity,
                   int64_t id, const json& payload, TimeMs now) {
  return events::AppendOne(conn, p.tenant_id, now, type, entity, id, p.user_id, payload.dump()).status();
}

AlertEngine::AlertEngine(store::Database& db, domain::RecordService& records, metrics::MetricEngine& metrics,
                         const Clock& clock, AlertOptions options)
    : impl_(std::make_unique<Impl>(db, records, metrics, clock, std::move(options))) {
  impl_->evaluator = std::make_unique<events::Consumer>(
      db, *impl_, clock,
      events::ConsumerOptions{.name = "alerts.evaluator", .wake_ms = impl_->opt.tick_ms, .read_events = false,
                              .poll_known_tenants = true, .wake_on_commit = false});
}

AlertEngine::~AlertEngine() { Stop(); }

void AlertEngine::Start() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->started) return;
    impl_->started = true;
    impl_->stop = false;
  }
  Impl* impl = impl_.get();
  impl_->listener_id = impl_->metrics.AddListener([impl](int64_t tenant, const std::vector<std::string>& changed, int64_t) {
    {
      std::lock_guard lock(impl->mu);
      impl->changed[tenant].insert(changed.begin(), changed.end());
    }
    impl->evaluator->Notify(tenant);
  });
  // Tenants with rules are evaluated from the start, not only after their next event — through
  // the consumer, so that with several nodes only the one holding a tenant's lease evaluates it.
  impl_->evaluator->Post([impl] {
    std::vector<int64_t> ids;
    if (auto conn = impl->db.Acquire(); conn.ok()) {
      auto tenants = repo::TenantsWithRules(**conn);
      if (tenants.ok()) ids = std::move(*tenants);
    }
    for (int64_t t : ids) impl->evaluator->Notify(t);  // polled from then on
  });
  // A rule saved or archived on any node (every node folds the log): loaded again before the
  // tenant's next evaluation, which comes at once.
  impl_->rules_listener = impl_->metrics.AddEventListener("alert_rule.", [impl](int64_t tenant, const events::Event&) {
    {
      std::lock_guard lock(impl->mu);
      impl->loaded.erase(tenant);
    }
    impl->evaluator->Notify(tenant);
  });
  impl_->evaluator->Start();
  for (int i = 0; i < std::max(1, impl_->opt.delivery_workers); ++i) impl_->deliverers.emplace_back([impl] { impl->Work(); });
}

void AlertEngine::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->started) return;
    impl_->started = false;
    impl_->stop = true;
  }
  impl_->metrics.RemoveListener(impl_->listener_id);
  impl_->metrics.RemoveEventListener(impl_->rules_listener);
  impl_->evaluator->Stop();
  impl_->outbox_cv.notify_all();
  for (auto& t : impl_->deliverers) t.join();
  impl_->deliverers.clear();
}

Status AlertEngine::EvaluateNow(int64_t tenant_id) {
  KEEL_RETURN_IF_ERROR(impl_->Evaluate(tenant_id, true));
  bool running;
  {
    std::lock_guard lock(impl_->mu);
    running = impl_->started;
  }
  if (!running) {
    // No delivery thread: deliver synchronously.
    {
      std::lock_guard lock(impl_->mu);
      impl_->stop = true;
    }
    impl_->Work();
    std::lock_guard lock(impl_->mu);
    impl_->stop = false;
  }
  return Status();
}

void AlertEngine::Impl::Publish(int64_t tenant, const AlertChange& alert) {
  Listener l;
  {
    std::lock_guard lock(mu);
    l = listener;
  }
  if (l) l(tenant, alert);
}

void AlertEngine::SetListener(Listener l) {
  std::lock_guard lock(impl_->mu);
  impl_->listener = std::move(l);
}

}  // namespace keel::alerts
