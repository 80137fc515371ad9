// The record service (记录服务): create, read, update, archive, list and batch-create for every
// entity in schema.h, with the domain's rules (stage moves, lead conversion, order totals,
// unit paths), visibility along the unit tree, and — in the same transaction as each write —
// an event in the event log and an audit row. Thread-safe: each call borrows its own
// connection from the pool.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "domain/schema.h"
#include "store/database.h"

namespace keel::domain {

struct WriteContext;

// A record's body is the user-defined document itself — the fields the EntityDef declares plus
// the tenant's own `custom` object — so the record service takes and returns it as JSON; every
// other signature here is typed.
using json = nlohmann::json;

// Query-string parameters in order, as received.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct ListResult {
  json items = json::array();
  std::optional<std::string> next_cursor;
};

// The WHERE clause of a list (" WHERE tenant_id = ? AND ..."): the filters, archived rows and the
// unit-tree scope; lists, aggregates and exports of a collection share it, so they see the same rows.
struct RecordFilter {
  std::string where;
  std::vector<store::Value> args;
};

// GET /<collection>/aggregate: measures over the records a list with the same filters returns,
// grouped by up to three fields. A key or measure value is in the API's JSON shape (money in yuan).
struct AggregateGroup {
  std::vector<json> key;     // one per group_by field
  std::vector<json> values;  // one per measure
};
struct AggregateResult {
  std::vector<std::string> group_by, measures;
  std::vector<AggregateGroup> groups;  // by count, largest first, then by key
  std::vector<json> totals;            // the measures over every matching record
  int64_t group_count = 0;             // groups in all (more than groups.size() when truncated)
  bool truncated = false;
};
inline constexpr int kAggregateDefaultGroups = 500;
inline constexpr int kAggregateMaxGroups = 1000;

struct BatchError {
  size_t index;
  Status status;
};

struct BatchResult {
  std::vector<int64_t> ids;        // ids of the records created, in input order
  std::vector<size_t> created_at;  // input index of each created record
  std::vector<BatchError> errors;  // one per refused record
};

struct WriteOptions {
  // For imports and the demo generator (system principal only): the business time of the
  // write, used for created_at/updated_at, stage history and the event time.
  std::optional<TimeMs> at;
  // CreateBatch only: the business time of each record (same length as the batch).
  std::vector<TimeMs> record_times;
  std::string request_id;
  // Set by services that checked a transition the API only allows through them (a contract is
  // signed through POST /contracts/{id}/sign, which runs the compliance checkpoints first).
  bool checked = false;
};

// Roles that may refund or take back goods (a return order, an order set to refunded): the
// people who answer for a unit's money, not its reps.
inline bool CanRefund(const Principal& p) {
  return p.is_system() || p.role == Role::kAdmin || p.role == Role::kHqOps || p.role == Role::kUnitLead ||
         p.role == Role::kSupervisor;
}

class RecordService {
 public:
  // `db` and `clock` must outlive the service.
  RecordService(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  Result<json> Create(const Principal& p, const EntityDef& e, const json& body,
                      const WriteOptions& opt = {});
  // Creates a record inside the caller's open write transaction on `conn`, so that it commits or
  // rolls back with the caller's own writes (an alert and its task: one cannot exist without the
  // other, whichever node dies when). The record's events and audit are written alike; observers
  // (workflows started by a creation) run only for records made through Create.
  Result<json> CreateWithin(store::Connection& conn, const Principal& p, const EntityDef& e, const json& body);
  // Validates and writes each element on its own (a savepoint per record): valid records
  // are kept, each invalid one is reported with its index; nothing is half-written.
  // At most `max_items` elements. The whole call fails only on a malformed request.
  Result<BatchResult> CreateBatch(const Principal& p, const EntityDef& e, const json& items,
                                  const WriteOptions& opt = {}, size_t max_items = 5000);
  Result<json> Get(const Principal& p, const EntityDef& e, int64_t id);
  // The record when `p` may change it: 404 when they cannot see it, 403 when they may only read
  // it (their role does not write `e`, or the record lies outside their part of the tree). For
  // parts that write beside a record (a material's versions).
  Result<json> GetWritable(const Principal& p, const EntityDef& e, int64_t id);
  Result<json> Update(const Principal& p, const EntityDef& e, int64_t id, const json& patch,
                      const WriteOptions& opt = {});
  Result<json> Archive(const Principal& p, const EntityDef& e, int64_t id,
                       const WriteOptions& opt = {});
  Result<ListResult> List(const Principal& p, const EntityDef& e, const QueryParams& params);
  // group_by=f1,f2 (filterable fields of a fixed set of values: refs, enums, text codes, dates,
  // booleans, integers), measures=count,sum:f,avg:f,min:f,max:f (numeric fields), limit = groups
  // (default 500, at most 1000), and every filter of List.
  Result<AggregateResult> Aggregate(const Principal& p, const EntityDef& e, const QueryParams& params);

  // The filters of a list (see List) as a WHERE clause. `own` takes the parameters the caller
  // handles itself (nullopt: not one of its own), in order; any other unknown name is a 400.
  using OwnParam = std::function<std::optional<Status>(const std::string& name, const std::string& value)>;
  Result<RecordFilter> Filter(store::Connection& conn, const Principal& p, const EntityDef& e, const QueryParams& params,
                              const OwnParam& own);

  // The record API's write rules for a record of `e` written by another path (bulk ingest, CSV
  // import): the caller's role writes `e`, the record's owner_id/unit_id lie in the caller's part
  // of the tree, and every reference field given (store_id, customer_id …) is one the caller can
  // see — answered exactly as Create would (403 "forbidden", 422 "validation.reference", with
  // the field). `values` maps field names to ids (0: absent). Reads only, on `conn`.
  Status CheckWritable(store::Connection& conn, const Principal& p, const EntityDef& e,
                       const std::map<std::string, int64_t>& values);

  // Called after a Create ("create") or an Update that changed something ("update") has
  // committed, in the writer's thread, with the record and the changes {field: {from, to}}. For
  // parts that react to writes at once (approval workflows triggered by named fields). Register
  // observers before serving.
  // An observer returns true when it wrote to the record itself (the caller then gets it re-read).
  using WriteObserver = std::function<bool(const Principal& p, const EntityDef& e, int64_t id, const std::string& op, const json& record,
                                           const json& changes)>;
  // Returns a handle for RemoveObserver (an observer that dies before the service must be removed).
  int AddObserver(WriteObserver observer);
  void RemoveObserver(int handle);

  // Converts a qualified (or working) lead: creates or links the customer, a contact, and an
  // opportunity; the lead becomes "converted". Body: {customer_id?, customer?: {...},
  // opportunity?: {...}}.
  Result<json> ConvertLead(const Principal& p, int64_t lead_id, const json& body,
                           const WriteOptions& opt = {});
  Result<json> StageHistory(const Principal& p, int64_t opportunity_id);
  Result<ListResult> AuditLog(const Principal& p, const QueryParams& params);

  Result<TenantInfo> Tenant(int64_t tenant_id);
  // The tenant's settings changed (on this node or another): read them again on next use.
  void ForgetTenant(int64_t tenant_id);
  Result<json> UpdateTenant(const Principal& p, const json& patch);
  static json TenantJson(const TenantInfo& t);

  const Clock& clock() const { return clock_; }
  store::Database& db() { return db_; }

 // Per-write context (rules.h).
  using Ctx = WriteContext;

 private:
  Result<json> CreateIn(Ctx& ctx, const EntityDef& e, const json& body);
  Result<json> UpdateIn(Ctx& ctx, const EntityDef& e, int64_t id, const json& patch);
  Status Finish(Ctx& ctx);
  bool Observe(const Principal& p, const EntityDef& e, int64_t id, const std::string& op, const json& record, const json& changes);
  Result<Ctx> Begin(const Principal& p, const WriteOptions& opt, store::PooledConnection& conn);
  Result<Ctx> Begin(const Principal& p, const WriteOptions& opt, store::Connection& conn);

  store::Database& db_;
  const Clock& clock_;
  std::mutex tenants_mu_;
  std::map<int64_t, TenantInfo> tenants_;  // guarded by tenants_mu_
  std::mutex observers_mu_;
  std::vector<std::pair<int, WriteObserver>> observers_;  // guarded by observers_mu_
  int next_observer_ = 1;
};

// " AND (...)" restricting rows of `e` (or any table with the same owner_id/unit_id columns) to
// what `p` may see; empty for whole-tenant roles. Appends its parameters to `params`.
std::string ScopeClause(const Principal& p, const EntityDef& e, std::vector<store::Value>& params);

// Hashes a password with argon2id (libargon2). Slow by design (~tens of ms).
Result<std::string> HashPassword(const std::string& password);
bool VerifyPassword(const std::string& hash, const std::string& password);
Status ValidatePassword(const std::string& password);

}  // namespace keel::domain
