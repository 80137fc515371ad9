// Entity rules (实体规则): what the generic record engine cannot know about one entity — stage
// moves, lead statuses, order totals and returns, unit paths, target periods… Each entity family
// has one `EntityRules` object (src/domain/rules/*.cc for the domain's entities; org registers
// its own for quotes, contracts, expenses, budget transfers and price changes at start-up), and
// `EntityDef::rules` points to it. The engine (records.cc) calls the hooks in this order:
//
//   create:  DefaultOwnership → (defaults, required fields) → PrepareCreate → needs_one_of →
//            CheckWriteScope (inside the scope check) → references, uniqueness → INSERT → AfterCreate
//   update:  CheckWriteScope (stored record) → PrepareUpdate → CheckWriteScope (new record) →
//            references, uniqueness → UPDATE
//   archive: PrepareArchive → UPDATE archived_at → AfterArchive
//
// Every hook runs inside the write's transaction (`WriteContext::conn`); a non-OK status aborts
// the write with that status. Rules hold no state: one const object serves every thread.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/audit.h"
#include "domain/custom_fields.h"
#include "domain/model.h"
#include "domain/schema.h"
#include "events/event_log.h"
#include "store/database.h"

namespace keel::domain {

// A record being written, as stored values by field (column) name.
using ValueMap = std::map<std::string, store::Value>;

// One write (one transaction): who writes, on which connection, at which business time, and the
// events and audit rows queued for the commit (RecordService::Finish appends them).
struct WriteContext {
  const Principal& p;
  store::Connection& conn;
  TimeMs now = 0;
  std::string now_text;
  TenantInfo tenant;
  std::string request_id;
  bool checked = false;  // WriteOptions::checked
  std::vector<events::Event> events;
  std::vector<AuditEntry> audits;  // written by Finish, stamped now_text and request_id
  std::set<std::pair<std::string, int64_t>> refs_ok;  // references already verified
  std::map<std::string, std::vector<CustomFieldDef>> custom_defs;  // by entity, loaded once per transaction
};

class EntityRules {
 public:
  virtual ~EntityRules() = default;

  // Fills owner_id/unit_id from related records before the generic defaults (the writer, the
  // owner's unit) of an owned entity: a contact takes its customer's, an order its store's unit.
  virtual Status DefaultOwnership(WriteContext& ctx, const EntityDef& e, ValueMap& v) const;
  // An extra write-scope check for a caller who does not see the whole tenant (a saved view is
  // changed by its owner only), after the shared-with-everyone check and before the unit check.
  virtual Status CheckWriteScope(WriteContext& ctx, const EntityDef& e, const ValueMap& v) const;
  // Validates and completes a new record `v` (with id `id`) and its child rows (order lines).
  virtual Status PrepareCreate(WriteContext& ctx, const EntityDef& e, int64_t id, ValueMap& v,
                               std::vector<ValueMap>& children) const;
  // After the record and its children were inserted (stage history, a lead's first response).
  virtual Status AfterCreate(WriteContext& ctx, const EntityDef& e, int64_t id, const ValueMap& v) const;
  // Validates an update of `before` into `after` (both whole records) and completes `after`.
  virtual Status PrepareUpdate(WriteContext& ctx, const EntityDef& e, int64_t id, const ValueMap& before,
                               ValueMap& after) const;
  // May the live record `before` be archived (a unit with members, one's own user)?
  virtual Status PrepareArchive(WriteContext& ctx, const EntityDef& e, int64_t id, const ValueMap& before) const;
  // After the record was archived (a user's sessions are revoked).
  virtual Status AfterArchive(WriteContext& ctx, const EntityDef& e, int64_t id) const;
};

// Points `entity`'s EntityDef::rules at `rules` (which must outlive the process; null: none).
// For parts above the domain (org) at start-up, before any record of `entity` is written; not
// safe against concurrent writes of that entity.
void SetEntityRules(const std::string& entity, const EntityRules* rules);

// What rule authors share with the engine.
namespace rules {

inline constexpr int64_t kMaxMoney = 100000000000000LL;  // 1e12 yuan in fen: sums of lines stay far from overflow

Status Forbidden(const std::string& en, const std::string& zh);
Status Conflict(std::string code, std::string en, std::string zh, std::string field = {});
Status Required(const std::string& field);
Status Unprocessable(std::string code, std::string en, std::string zh, std::string field);

bool Null(const ValueMap& m, const std::string& k);
std::string Text(const ValueMap& m, const std::string& k);
int64_t Int(const ValueMap& m, const std::string& k);

// Queues an event of this write; it is appended in the same transaction by RecordService::Finish.
void Emit(WriteContext& ctx, std::string type, std::string entity, int64_t id, const nlohmann::json& payload);
// `id` is a live record of `f.ref` the writer can see (400 validation.reference with f.name).
Status CheckRef(WriteContext& ctx, const FieldDef& f, int64_t id);

}  // namespace rules
}  // namespace keel::domain
