// Custom event types (自定义事件类型): declared by admin and hq_ops, read by the validation at the
// door and by the metric engine as custom sources.
#include <algorithm>
#include <set>

#include "domain/audit.h"
#include "domain/codec.h"
#include "events/event_log.h"
#include "ingest/internal.h"
#include "ingest/store.h"

namespace keel::ingest {

Result<std::vector<StoredEventType>> Ingestor::ListTypes(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::EventTypeRow> rows, repo::ActiveEventTypes(*conn, p.tenant_id));
  std::vector<StoredEventType> out;
  for (const auto& r : rows) out.push_back({r.name, r.version, r.definition, r.created_at});
  return out;
}

Result<StoredEventType> Ingestor::SaveType(const Principal& p, const json& b) {
  if (p.role != domain::Role::kAdmin && p.role != domain::Role::kHqOps) {
    return Status::Error(ErrorKind::kForbidden, "auth.forbidden", "only admin and hq_ops may declare event types", "只有管理员和销售运营可以声明事件类型");
  }
  KEEL_RETURN_IF_ERROR(domain::CheckObject(b, {"name", "label", "fields"}));
  KEEL_ASSIGN_OR_RETURN(std::string name, TextField(b, "name", true, 40));
  bool ok = !name.empty() && name[0] >= 'a' && name[0] <= 'z' &&
            std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
  if (!ok) return Bad("name", "validation.name", "a type name is lower-case letters, digits and _", "类型名只能包含小写字母、数字和下划线");
  if (OneOf(name, {"order", "activity", "signal", "lead", "stage_change", "order_line", "lead_response", "opportunity", "customer"})) {
    return Bad("name", "validation.name", "'" + name + "' is a built-in type", "'" + name + "' 是内置类型");
  }
  auto fields = b.find("fields");
  if (fields == b.end() || !fields->is_array() || fields->empty() || fields->size() > 50) {
    return Bad("fields", "validation.fields", "fields is a list of 1-50 {name, type, required}", "fields 为 1-50 个 {name, type, required}");
  }
  json clean = json::array();
  std::set<std::string> seen;
  for (size_t i = 0; i < fields->size(); ++i) {
    const json& f = (*fields)[i];
    std::string key = "fields[" + std::to_string(i) + "]";
    if (!f.is_object()) return Bad(key, "validation.type", "a field is an object", "字段须为对象");
    std::string fname = Str(f, "name");
    std::string type = f.contains("type") ? Str(f, "type") : "text";
    bool fok = !fname.empty() && fname.size() <= 40 && fname[0] >= 'a' && fname[0] <= 'z' &&
               std::all_of(fname.begin(), fname.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
    if (!fok || OneOf(fname, {"owner_id", "unit_id", "customer_id", "customer_segment", "at"}) || !seen.insert(fname).second) {
      return Bad(key + ".name", "validation.name", "a field name is lower-case letters, digits and _, unique and not reserved",
                 "字段名只能包含小写字母、数字和下划线，不可重复或使用保留名");
    }
    if (!OneOf(type, {"number", "text", "bool", "datetime", "date"})) {
      return Bad(key + ".type", "validation.enum", "type is number, text, bool, datetime or date", "type 可为 number、text、bool、datetime、date");
    }
    std::string label = Str(f, "label");
    clean.push_back({{"name", fname}, {"type", type}, {"required", Flag(f, "required")}, {"label", label.empty() ? fname : label}});
  }
  json def = {{"name", name}, {"fields", clean}};
  if (b.contains("label")) def["label"] = b["label"];
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::EventTypeRow> r, repo::EventType(*conn, p.tenant_id, name));
  int64_t version = r ? r->version + 1 : 1;
  json before = r ? json::parse(r->definition, nullptr, false) : json(nullptr);
  if (before.is_discarded()) before = nullptr;
  TimeMs now = impl_->clock.NowMs();
  KEEL_RETURN_IF_ERROR(repo::SaveEventType(*conn, p.tenant_id, name, version, def.dump(), FormatTimestamp(now), p.user_id));
  KEEL_RETURN_IF_ERROR(events::AppendOne(*conn, p.tenant_id, now, "event_type.saved", "event_types", 0, p.user_id, def.dump()).status());
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {before.is_null() ? "create" : "update", "event_types", 0, before, def}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  {
    Cache& c = impl_->CacheOf(p.tenant_id);
    std::lock_guard lock(c.mu);
    c.loaded = false;  // reload types (and codes) on the next request
    c.stores.clear();
    c.customers.clear();
    c.products.clear();
    c.users.clear();
    c.users_by_id.clear();
    c.types.clear();
  }
  return StoredEventType{name, version, def.dump(), ""};
}

}  // namespace keel::ingest
