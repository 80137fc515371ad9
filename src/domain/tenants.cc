// The tenant's own settings (name, time zone, currency, locale), cached by the record service.
#include "domain/records.h"

#include "domain/codec.h"
#include "domain/records_internal.h"
#include "domain/store.h"

namespace keel::domain {

using store::Value;
using namespace rules;

Result<TenantInfo> RecordService::Tenant(int64_t tenant_id) {
  {
    std::lock_guard g(tenants_mu_);
    auto it = tenants_.find(tenant_id);
    if (it != tenants_.end()) return it->second;
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(TenantInfo t, LoadTenant(*conn, tenant_id));
  std::lock_guard g(tenants_mu_);
  tenants_[tenant_id] = t;
  return t;
}

void RecordService::ForgetTenant(int64_t tenant_id) {
  std::lock_guard g(tenants_mu_);
  tenants_.erase(tenant_id);
}

json RecordService::TenantJson(const TenantInfo& t) {
  return {{"id", t.id},           {"code", t.code},         {"name", t.name},
          {"time_zone", t.time_zone}, {"currency", t.currency}, {"locale", t.locale},
          {"status", t.status}};
}

Result<json> RecordService::UpdateTenant(const Principal& p, const json& patch) {
  if (p.role != Role::kAdmin) return Forbidden("only an admin may change the tenant", "只有管理员可以修改租户设置");
  if (!patch.is_object()) {
    return Status::Invalid("validation.body", "the body must be a JSON object", "请求体必须是 JSON 对象");
  }
  KEEL_ASSIGN_OR_RETURN(TenantInfo t, Tenant(p.tenant_id));
  TenantInfo before = t;
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string& k = it.key();
    FieldDef f;
    f.name = k;
    if (k == "name") {
      f.type = FieldType::kString;
      f.required = true;
      KEEL_ASSIGN_OR_RETURN(Value v, ToValue(f, it.value()));
      t.name = store::AsText(v);
    } else if (k == "time_zone") {
      if (!it.value().is_string() || !IsKnownTimeZone(it.value().get<std::string>())) {
        return Status::Invalid("validation.time_zone", "time_zone must be an IANA zone such as Asia/Shanghai",
                               "time_zone 应为 IANA 时区，如 Asia/Shanghai", k);
      }
      t.time_zone = it.value();
    } else if (k == "currency") {
      f.type = FieldType::kCurrency;
      KEEL_ASSIGN_OR_RETURN(Value v, ToValue(f, it.value()));
      if (store::IsNull(v)) return Required(k);
      t.currency = store::AsText(v);
    } else if (k == "locale") {
      f.type = FieldType::kEnum;
      f.values = {"zh-CN", "en"};
      KEEL_ASSIGN_OR_RETURN(Value v, ToValue(f, it.value()));
      if (store::IsNull(v)) return Required(k);
      t.locale = store::AsText(v);
    } else {
      return Status::Invalid(it.key() == "code" || it.key() == "id" ? "validation.read_only"
                                                                    : "validation.unknown_field",
                             "field '" + k + "' cannot be changed", "字段 '" + k + "' 不能修改", k);
    }
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(Ctx ctx, Begin(p, {}, conn));
  KEEL_RETURN_IF_ERROR(SaveTenant(*conn, t, ctx.now_text));
  Emit(ctx, "tenant.updated", "tenants", p.tenant_id, TenantJson(t));
  ctx.audits.push_back({"update", "tenants", p.tenant_id, TenantJson(before), TenantJson(t)});
  KEEL_RETURN_IF_ERROR(Finish(ctx));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  std::lock_guard g(tenants_mu_);
  tenants_[p.tenant_id] = t;
  return TenantJson(t);
}

}  // namespace keel::domain
