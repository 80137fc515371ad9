// Entities as data (实体定义): every business entity is described once here — its table, its
// fields with types and rules, who may write it and how visibility follows the unit tree.
// The generic record service, the HTTP routes, the OpenAPI document and the schema test all
// read these descriptors, so a field exists in one place. Entity-specific rules (stage moves,
// order totals) are objects in rules/ that EntityDef::rules points to (rules.h).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "domain/model.h"

namespace keel::domain {

enum class FieldType {
  kRef,        // id of another entity of the same tenant (`ref` names it)
  kString,     // single-line text, max_len code points
  kText,       // multi-line text (notes)
  kInt,
  kNumber,     // double
  kMoney,      // decimal with at most 2 places; stored as BIGINT minor units
  kBool,
  kEnum,       // one of `values`
  kTimestamp,  // ISO-8601 with zone; stored UTC
  kDate,       // YYYY-MM-DD
  kCurrency,   // ISO-4217 code
  kCategory,   // category path "家电/空调/挂机": 1-6 non-empty segments separated by '/'
  kJson,       // a JSON object, stored as text
  kPassword,   // write-only; stored as an argon2id hash
};

struct FieldDef {
  std::string name;
  FieldType type = FieldType::kString;
  bool required = false;    // must be present (non-null) on create
  bool writable = true;     // accepted on create (false: computed by the system)
  bool mutable_ = true;     // accepted on update
  bool filter = false;      // usable as a list filter
  bool sort = false;        // usable as a sort key
  bool unique = false;      // unique per tenant
  bool search = false;      // matched by the list's `q`
  bool hidden = false;      // never returned
  std::string ref;          // kRef: target entity name
  std::vector<std::string> values;  // kEnum
  int max_len = 200;
  double min = -1e15, max = 1e15;
  std::string doc_en, doc_zh;
  std::string default_value;  // for enums/strings when absent on create

  FieldDef& Req() { required = true; return *this; }
  FieldDef& Computed() { writable = false; mutable_ = false; return *this; }
  FieldDef& Immutable() { mutable_ = false; return *this; }
  FieldDef& Filter() { filter = true; return *this; }
  FieldDef& Sort() { sort = true; filter = true; return *this; }
  FieldDef& Unique() { unique = true; filter = true; return *this; }
  FieldDef& Search() { search = true; return *this; }
  FieldDef& Hidden() { hidden = true; return *this; }
  FieldDef& Range(double lo, double hi) { min = lo; max = hi; return *this; }
  FieldDef& Len(int n) { max_len = n; return *this; }
  FieldDef& Default(std::string v) { default_value = std::move(v); return *this; }
  FieldDef& Doc(std::string en, std::string zh) {
    doc_en = std::move(en);
    doc_zh = std::move(zh);
    return *this;
  }
};

// How record visibility follows the unit tree (DESIGN §8).
enum class Scope {
  kTenant,  // reference data every member of the tenant may read (products, units, users)
  kUnit,    // belongs to a unit: unit leads see their subtree; supervisors/reps their unit's
  kOwned,   // has an owner and a unit: reps see their own, supervisors their team's,
            // unit leads their subtree
  kShared,  // shared down the tree (materials 物料): without a unit, by the whole tenant; a unit's
            // own, by that unit's subtree and the units above it. Written inside the writer's
            // subtree; only HQ writes the tenant-wide ones
  kPublished,  // written by a unit, read by the whole tenant (case reviews 复盘: lessons spread);
               // written inside the writer's subtree
};

// True when a scope lets people read records they may not write (updates and archives then
// check the stored record's unit as well as the new one).
inline bool ReadsBeyondWrites(Scope s) { return s == Scope::kShared || s == Scope::kPublished; }

// A child collection written and read with its parent (order lines).
struct ChildDef {
  std::string name;   // JSON key, e.g. "lines"
  std::string table;  // e.g. "order_lines"
  std::string parent_key;  // e.g. "order_id"
  std::vector<FieldDef> fields;
  int max_items = 500;
};

class EntityRules;

struct EntityDef {
  std::string name;      // table, event and permission name, e.g. "customers", "budget_transfers"
  std::string singular;  // e.g. "customer"; event types are "<singular>.<verb>"
  std::string zh;        // e.g. "客户"
  std::string en;        // e.g. "customer"
  Scope scope = Scope::kOwned;
  std::vector<FieldDef> fields;  // besides id, created_at, updated_at, archived_at, created_by
  std::optional<ChildDef> child;
  bool batch = false;            // POST /<UrlSegment()>/batch
  bool audited_create = true;    // high-volume facts are traced by the event log instead
  bool indexed_search = true;    // `q` answered from the substring index (migration 2)
  std::vector<Role> writers;     // roles that may create/update/archive
  std::string default_sort = "-id";
  // Groups of fields of which a new record needs at least one (feedback: a rating or a text); the
  // record rules enforce them, the OpenAPI schema says them as anyOf.
  std::vector<std::vector<std::string>> needs_one_of;
  // The entity's own rules (rules.h), or null when the generic engine is all it needs. The
  // domain's are attached when Entities() is built; org attaches its own at start-up.
  const EntityRules* rules = nullptr;

  const FieldDef* Field(const std::string& n) const;
  bool CanWrite(Role r) const;
  // The entity's segment in URLs: `name` in kebab-case ("budget-transfers" for budget_transfers).
  std::string UrlSegment() const;
};

// All entities, in dependency order. Built once; never freed.
const std::vector<EntityDef>& Entities();
const EntityDef* FindEntity(const std::string& name);

// Lead status flow and opportunity stages (the rules live in rules/leads.cc, rules/opportunities.cc).
extern const std::vector<std::string> kLeadStatuses;
extern const std::vector<std::string> kOpportunityStages;
extern const std::vector<std::string> kCurrencies;

}  // namespace keel::domain
