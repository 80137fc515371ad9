// What a running Keel is made of, built once: the store (database, record service,
// authentication), then the engines in dependency order — metrics, alerts, ingest, streams, AI,
// text, the agile units' services. Runtime::Start starts their background work in that order;
// Stop stops it in reverse. Every subcommand that needs engines builds a Runtime (serve starts
// it; demo, openapi and secrets use it without starting).
#pragma once

#include <memory>
#include <string>

#include "ai/service.h"
#include "alerts/engine.h"
#include "app/config.h"
#include "common/outbound.h"
#include "common/secrets.h"
#include "common/time.h"
#include "domain/auth.h"
#include "domain/records.h"
#include "http/api.h"
#include "http/streams.h"
#include "ingest/ingest.h"
#include "metrics/engine.h"
#include "org/budgets.h"
#include "org/changes.h"
#include "org/commerce/commerce.h"
#include "org/expenses.h"
#include "org/feedback_links.h"
#include "org/governance.h"
#include "org/ledger.h"
#include "org/materials.h"
#include "org/profit_sharing.h"
#include "org/workflow/approvals.h"
#include "store/database.h"
#include "text/service.h"

namespace keel::app {

struct Store {
  std::unique_ptr<store::Database> db;
  std::unique_ptr<domain::RecordService> records;
  std::unique_ptr<domain::AuthService> auth;
};

// Opens the database (migrating it) and the services over it.
Result<Store> OpenStore(const Config& c, const std::string& synchronous, const Clock& clock);

// The agile units' services, wired together: governance (boundaries, compliance) in commerce,
// expenses and change requests; commerce, expenses and change requests hooked into the approval
// engine.
struct OrgParts {
  OrgParts(store::Database& db, domain::RecordService& records, const Clock& clock)
      : approvals(db, records, clock),
        commerce(db, records, approvals, clock),
        budgets(db, clock),
        ledger(db, clock),
        sharing(db, ledger, clock),
        expenses(db, records, approvals, budgets, ledger, clock),
        materials(db, records, clock),
        feedback_links(db, records, clock),
        governance(db, clock),
        changes(db, records, approvals, budgets, clock) {
    commerce.SetGovernance(&governance);
    expenses.SetGovernance(&governance);
    changes.SetGovernance(&governance);
  }
  // The engine's timer calls hooks of the parts declared after it: it stops first.
  ~OrgParts() { approvals.Stop(); }
  // The API's services: `base` (metrics … text) with these.
  http::ApiServices Services(http::ApiServices base) {
    base.approvals = &approvals;
    base.commerce = &commerce;
    base.budgets = &budgets;
    base.ledger = &ledger;
    base.profit_sharing = &sharing;
    base.expenses = &expenses;
    base.materials = &materials;
    base.feedback_links = &feedback_links;
    base.governance = &governance;
    return base;
  }
  org::ApprovalEngine approvals;
  org::Commerce commerce;
  org::BudgetService budgets;
  org::Ledger ledger;
  org::ProfitSharing sharing;
  org::ExpenseService expenses;
  org::MaterialService materials;
  org::FeedbackLinkService feedback_links;
  org::Governance governance;
  org::ChangeRequests changes;
};

struct RuntimeOptions {
  // Where outbound calls may go and what seals secrets; null: public addresses only, and an
  // ephemeral key (tools, tests). Must outlive the runtime.
  const outbound::Policy* outbound = nullptr;
  const SecretBox* secrets = nullptr;
  bool periodic = true;  // the text service's daily work (recaps, model upkeep)
};

class Runtime {
 public:
  Runtime(Store& store, const Clock& clock, RuntimeOptions options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Starts the background work in dependency order (each engine's consumer registers its own
  // commit listener). Idempotent.
  void Start();
  // Stops it in reverse order; idempotent, also done by the destructor.
  void Stop();
  // The services the HTTP API is given.
  http::ApiServices Services();

  Store& store;
  metrics::MetricEngine metrics;
  alerts::AlertEngine alerts;
  ingest::Ingestor ingest;
  http::StreamHub streams;
  ai::AiService ai;
  text::TextService text;
  OrgParts org;

 private:
  bool started_ = false;
  int tenant_listener_ = 0;  // metrics event listener: tenant settings changed on any node
};

}  // namespace keel::app
