// The EntityRules defaults, the helpers rules share, and which rules each domain entity has.
#include "domain/rules.h"

#include "domain/records.h"
#include "domain/rules/family.h"
#include "domain/store.h"

namespace keel::domain {

using store::Value;
using json = nlohmann::json;

Status EntityRules::DefaultOwnership(WriteContext&, const EntityDef&, ValueMap&) const { return Status(); }
Status EntityRules::CheckWriteScope(WriteContext&, const EntityDef&, const ValueMap&) const { return Status(); }
Status EntityRules::PrepareCreate(WriteContext&, const EntityDef&, int64_t, ValueMap&, std::vector<ValueMap>&) const {
  return Status();
}
Status EntityRules::AfterCreate(WriteContext&, const EntityDef&, int64_t, const ValueMap&) const { return Status(); }
Status EntityRules::PrepareUpdate(WriteContext&, const EntityDef&, int64_t, const ValueMap&, ValueMap&) const {
  return Status();
}
Status EntityRules::PrepareArchive(WriteContext&, const EntityDef&, int64_t, const ValueMap&) const { return Status(); }
Status EntityRules::AfterArchive(WriteContext&, const EntityDef&, int64_t) const { return Status(); }

void SetEntityRules(const std::string& entity, const EntityRules* rules) {
  // Entities() is built once in writable memory; only the rules pointer is ever changed.
  const EntityDef* e = FindEntity(entity);
  if (e) const_cast<EntityDef*>(e)->rules = rules;
}

namespace rules {

Status Forbidden(const std::string& en, const std::string& zh) {
  return Status::Error(ErrorKind::kForbidden, "forbidden", en, zh);
}
Status Conflict(std::string code, std::string en, std::string zh, std::string field) {
  return Status::Error(ErrorKind::kConflict, std::move(code), std::move(en), std::move(zh), std::move(field));
}
Status Required(const std::string& field) {
  return Status::Invalid("validation.required", field + " is required", field + " 为必填项", field);
}
Status Unprocessable(std::string code, std::string en, std::string zh, std::string field) {
  return Status::Error(ErrorKind::kUnprocessable, std::move(code), std::move(en), std::move(zh), std::move(field));
}

bool Null(const ValueMap& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() || store::IsNull(it->second);
}
std::string Text(const ValueMap& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? std::string() : store::AsText(it->second);
}
int64_t Int(const ValueMap& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : store::AsInt(it->second);
}

void Emit(WriteContext& ctx, std::string type, std::string entity, int64_t id, const json& payload) {
  events::Event ev;
  ev.at = ctx.now;
  ev.type = std::move(type);
  ev.entity = std::move(entity);
  ev.entity_id = id;
  ev.actor_id = ctx.p.user_id;
  ev.payload = payload.dump(-1, ' ', false, json::error_handler_t::replace);
  ctx.events.push_back(std::move(ev));
}

Status CheckRef(WriteContext& ctx, const FieldDef& f, int64_t id) {
  if (ctx.refs_ok.count({f.ref, id})) return Status();
  const EntityDef* target = FindEntity(f.ref);
  std::vector<Value> scope_params;
  std::string scope;
  if (target && target->scope != Scope::kTenant) scope = ScopeClause(ctx.p, *target, scope_params);
  KEEL_ASSIGN_OR_RETURN(bool found, LiveRecordExists(ctx.conn, f.ref, ctx.p.tenant_id, id, scope, scope_params));
  if (!found) {
    std::string what = target ? target->en : f.ref;
    std::string zh = target ? target->zh : f.ref;
    return Status::Invalid("validation.reference",
                           f.name + ": no " + what + " " + std::to_string(id) + " that you can see in this tenant",
                           f.name + "：本租户中不存在您可见的" + zh + " " + std::to_string(id), f.name);
  }
  ctx.refs_ok.insert({f.ref, id});
  return Status();
}

const EntityRules* DomainRules(const std::string& entity) {
  static const std::map<std::string, const EntityRules*> kRules = {
      {"units", &UnitRules()},       {"users", &UserRules()},
      {"contacts", &ContactRules()}, {"members", &MemberRules()},
      {"leads", &LeadRules()},       {"opportunities", &OpportunityRules()},
      {"activities", &ActivityRules()}, {"tasks", &TaskRules()},
      {"products", &ProductRules()}, {"orders", &OrderRules()},
      {"targets", &TargetRules()},   {"materials", &TaggedRules()},
      {"case_reviews", &CaseReviewRules()}, {"views", &ViewRules()},
      {"feedback", &FeedbackRules()}, {"custom_fields", &CustomFieldRules()},
  };
  auto it = kRules.find(entity);
  return it == kRules.end() ? nullptr : it->second;
}

}  // namespace rules
}  // namespace keel::domain
