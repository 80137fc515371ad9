#include "app/runtime.h"

#include <spdlog/spdlog.h>

#include "org/rules/rules.h"


namespace keel::app {

namespace {
alerts::AlertOptions AlertOptionsOf(const RuntimeOptions& o) {
  alerts::AlertOptions a;
  a.outbound = o.outbound;
  a.secrets = o.secrets;
  return a;
}
text::TextOptions TextOptionsOf(const RuntimeOptions& o) {
  text::TextOptions t;
  t.outbound = o.outbound;
  t.secrets = o.secrets;
  t.periodic = o.periodic;
  return t;
}
}  // namespace

Result<Store> OpenStore(const Config& c, const std::string& synchronous, const Clock& clock) {
  store::DatabaseOptions opt;
  opt.pool_size = c.pool_size;
  opt.sqlite_synchronous = synchronous;
  auto db = store::Database::Open(c.database, opt);
  if (!db.ok()) return db.status();
  auto applied = store::Migrate(**db);
  if (!applied.ok()) return applied.status();
  if (*applied > 0) spdlog::info("migrate applied={} schema_version={}", *applied, store::LatestSchemaVersion());
  Store s;
  s.db = std::move(db).value();
  org::RegisterEntityRules();  // before the first write of a quote, contract, expense claim or change request
  s.records = std::make_unique<domain::RecordService>(*s.db, clock);
  domain::AuthOptions ao;
  ao.session_ttl_ms = static_cast<TimeMs>(c.session_ttl_hours) * 3600 * 1000;
  s.auth = std::make_unique<domain::AuthService>(*s.db, clock, *s.records, ao);
  return s;
}

Runtime::Runtime(Store& s, const Clock& clock, RuntimeOptions options)
    : store(s),
      metrics(*s.db, clock),
      alerts(*s.db, *s.records, metrics, clock, AlertOptionsOf(options)),
      ingest(*s.db, *s.records, clock),
      streams(*s.db, metrics, &alerts, clock),
      ai(*s.db, *s.records, clock),
      text(*s.db, *s.records, clock, TextOptionsOf(options)),
      org(*s.db, *s.records, clock) {
  ai.SetAlerts(&alerts);
  org.approvals.SetAlerts(&alerts);  // grantors hear of delegations made on their behalf
  // Tenant settings changed on any node (every node folds the log): read them again.
  domain::RecordService* records = s.records.get();
  tenant_listener_ = metrics.AddEventListener("tenant.updated", [records](int64_t tenant, const events::Event&) {
    records->ForgetTenant(tenant);
  });
}

Runtime::~Runtime() {
  Stop();
  metrics.RemoveEventListener(tenant_listener_);
}

void Runtime::Start() {
  if (started_) return;
  started_ = true;
  metrics.Start();
  alerts.Start();
  ingest.Start();
  ai.Start();
  text.Start();
  org.approvals.Start();
}

void Runtime::Stop() {
  if (!started_) return;
  started_ = false;
  ingest.Stop();
  org.approvals.Stop();
  text.Stop();
  ai.Stop();
  alerts.Stop();
  metrics.Stop();
}

http::ApiServices Runtime::Services() { return org.Services({&metrics, &alerts, &ingest, &streams, &ai, &text}); }

}  // namespace keel::app
