// The REST API under /api/v1: routes, the middleware every request passes (request id,
// authentication, body parsing, error shaping) and the OpenAPI document built from the same
// route table. Thread-safe; handlers are thin: parse, authorise, call the domain, serialise.
#pragma once

#include <string>

#include "domain/auth.h"
#include "domain/records.h"
#include "http/router.h"
#include "store/database.h"

namespace keel::events {
class ClusterView;
}
namespace keel::metrics {
class MetricEngine;
}
namespace keel::alerts {
class AlertEngine;
}
namespace keel::ingest {
class Ingestor;
}
namespace keel::ai {
class AiService;
}
namespace keel::text {
class TextService;
}
namespace keel::org {
class ApprovalEngine;
class Commerce;
class BudgetService;
class Ledger;
class ProfitSharing;
class ExpenseService;
class MaterialService;
class FeedbackLinkService;
class Governance;
}

namespace keel::http {

class StreamHub;
class Telemetry;

struct ApiOptions {
  std::string version = "0.1.0";
};

// Engines above the domain that add routes when present (null: their routes are absent).
struct ApiServices {
  metrics::MetricEngine* metrics = nullptr;
  alerts::AlertEngine* alerts = nullptr;
  ingest::Ingestor* ingest = nullptr;
  StreamHub* streams = nullptr;
  ai::AiService* ai = nullptr;
  text::TextService* text = nullptr;
  org::ApprovalEngine* approvals = nullptr;
  org::Commerce* commerce = nullptr;
  org::BudgetService* budgets = nullptr;
  org::Ledger* ledger = nullptr;
  org::ProfitSharing* profit_sharing = nullptr;
  org::ExpenseService* expenses = nullptr;
  org::MaterialService* materials = nullptr;
  org::FeedbackLinkService* feedback_links = nullptr;
  org::Governance* governance = nullptr;
  events::ClusterView* cluster = nullptr;  // GET /cluster
  Telemetry* telemetry = nullptr;          // counts every answered request (GET /metrics)
};

class Api {
 public:
  Api(store::Database& db, domain::RecordService& records, domain::AuthService& auth,
      ApiOptions options = {}, ApiServices services = {});
  // Never throws; every failure becomes a JSON error response.
  Response Handle(const Request& req) const;
  const Router& router() const { return router_; }
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;
  json OpenApi() const;

 private:
  void AddEntityRoutes(const domain::EntityDef& e);
  void AddRecordReportRoutes(const domain::EntityDef& e);  // records_api.cc: aggregate, export
  void PageBoundedCollections();  // after every route: the list contract of the bounded collections
  void AddDeprecatedRoutes();  // last: old spellings of routes added before
  void AddSystemRoutes();
  void AddFormulaRoutes();
  void AddMetricRoutes();
  void AddAlertRoutes();
  void AddIngestRoutes();
  void AddStreamRoutes();
  void AddAiRoutes();
  void AddTextRoutes();
  void AddOrgRoutes();
  void AddAccountingRoutes();
  void AddMaterialRoutes();
  void AddGovernanceRoutes();
  void AddClusterRoutes();  // cluster_api.cc
  Result<domain::Principal> Authenticate(const Request& req) const;

  store::Database& db_;
  domain::RecordService& records_;
  domain::AuthService& auth_;
  ApiOptions options_;
  ApiServices services_;
  int observer_ = 0;  // the live streams' watch on users and units (RecordService::AddObserver)
  Router router_;
};

// The JSON error body every failure uses:
// {"error": {"code", "message", "message_zh", "field", "request_id"}}.
json ErrorBody(const Status& st, const std::string& request_id);
Response ErrorResponse(const Status& st, const std::string& request_id);
// A value of the wrong JSON type read without checking it (a json::type_error): the client's
// mistake, 400 validation.type at "body" with the library's words.
Status WrongJsonType(const json::type_error& e);
// Serialises JSON, replacing invalid UTF-8 instead of throwing.
std::string Dump(const json& j);

}  // namespace keel::http
