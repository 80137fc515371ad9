// The generic record engine: parses a body against the EntityDef, checks who may write it and
// where, calls the entity's rules (rules.h) and writes the record with its event and audit row.
#include <algorithm>

#include "domain/codec.h"
#include "domain/records_internal.h"
#include "domain/store.h"

namespace keel::domain {

using store::Value;
using namespace rules;

namespace {

Status ParseBody(const EntityDef& e, const json& body, bool creating, ValueMap& v, const json** child_items) {
  if (!body.is_object()) {
    return Status::Invalid("validation.body", "the body must be a JSON object", "请求体必须是 JSON 对象");
  }
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& k = it.key();
    if (e.child && k == e.child->name) {
      if (!creating) {
        return Status::Invalid("validation.read_only", k + " cannot be changed after creation", k + " 创建后不能修改", k);
      }
      *child_items = &it.value();
      continue;
    }
    const FieldDef* f = e.Field(k);
    if (!f) {
      return Status::Invalid("validation.unknown_field", "unknown field '" + k + "'", "未知字段 '" + k + "'", k);
    }
    if (!f->writable || (!creating && !f->mutable_)) {
      return Status::Invalid("validation.read_only",
                             k + (f->writable ? " cannot be changed after creation" : " is computed by the system"),
                             k + (f->writable ? " 创建后不能修改" : " 由系统计算，不能写入"), k);
    }
    KEEL_ASSIGN_OR_RETURN(v[k], ToValue(*f, it.value()));
  }
  return Status();
}

Result<ValueMap> ParseChild(const ChildDef& c, const json& item, const std::string& at) {
  if (!item.is_object()) return Status::Invalid("validation.type", at + " must be an object", at + " 应为对象", at);
  ValueMap m;
  for (auto it = item.begin(); it != item.end(); ++it) {
    const FieldDef* f = nullptr;
    for (const auto& cf : c.fields) {
      if (cf.name == it.key()) f = &cf;
    }
    if (!f) {
      return Status::Invalid("validation.unknown_field", "unknown field '" + it.key() + "'", "未知字段 '" + it.key() + "'",
                             at + "." + it.key());
    }
    if (!f->writable) {
      return Status::Invalid("validation.read_only", it.key() + " is computed by the system", it.key() + " 由系统计算，不能写入",
                             at + "." + it.key());
    }
    auto val = ToValue(*f, it.value());
    if (!val.ok()) return val.status().WithFieldPrefix(at);
    m[it.key()] = std::move(val).value();
  }
  for (const auto& cf : c.fields) {
    if (cf.required && cf.writable && Null(m, cf.name)) return Required(at + "." + cf.name);
  }
  return m;
}

Status ParseChildren(const ChildDef& c, const json* items, std::vector<ValueMap>& out) {
  if (!items) return Status();
  if (!items->is_array()) return Status::Invalid("validation.type", c.name + " must be an array", c.name + " 应为数组", c.name);
  if (items->size() > static_cast<size_t>(c.max_items)) {
    return Status::Invalid("validation.too_many", c.name + " has more than " + std::to_string(c.max_items) + " items",
                           c.name + " 超过 " + std::to_string(c.max_items) + " 项", c.name);
  }
  for (size_t i = 0; i < items->size(); ++i) {
    KEEL_ASSIGN_OR_RETURN(ValueMap m, ParseChild(c, (*items)[i], c.name + "[" + std::to_string(i) + "]"));
    out.push_back(std::move(m));
  }
  return Status();
}

json MapToJson(const EntityDef& e, int64_t id, const ValueMap& v) {
  json out = json::object();
  out["id"] = id;
  for (const auto& f : e.fields) {
    if (f.hidden) continue;
    auto it = v.find(f.name);
    out[f.name] = it == v.end() ? json(nullptr) : FromValue(f, it->second);
  }
  for (const char* k : {"created_at", "updated_at", "archived_at"}) {
    auto it = v.find(k);
    out[k] = it == v.end() || store::IsNull(it->second) ? json(nullptr) : json(store::AsText(it->second));
  }
  auto it = v.find("created_by");
  out["created_by"] = it == v.end() || store::IsNull(it->second) ? json(nullptr) : json(store::AsInt(it->second));
  return out;
}

// Validates the record's `custom` object against the tenant's definitions: on create
// (`before` null) the whole object, on update the patch merged into the stored object.
Status CheckCustom(WriteContext& ctx, const EntityDef& e, const ValueMap* before, ValueMap& v) {
  if (!e.Field("custom")) return Status();
  auto defs = ctx.custom_defs.find(e.name);
  if (defs == ctx.custom_defs.end()) {
    KEEL_ASSIGN_OR_RETURN(auto loaded, LoadCustomFields(ctx.conn, ctx.p.tenant_id, e.name));
    defs = ctx.custom_defs.emplace(e.name, std::move(loaded)).first;
  }
  json patch, prev = json::object();
  if (!Null(v, "custom")) patch = json::parse(Text(v, "custom"), nullptr, false);
  if (before && !Null(*before, "custom")) {
    prev = json::parse(Text(*before, "custom"), nullptr, false);
    if (!prev.is_object()) prev = json::object();
  }
  KEEL_ASSIGN_OR_RETURN(json out, ApplyCustom(defs->second, prev, patch.is_object() ? &patch : nullptr, before == nullptr));
  v["custom"] = out.dump();
  return Status();
}

Status CheckUnique(WriteContext& ctx, const EntityDef& e, const FieldDef& f, const Value& v, int64_t self_id) {
  if (store::IsNull(v)) return Status();
  KEEL_ASSIGN_OR_RETURN(auto other, FindOtherWithValue(ctx.conn, e.name, f.name, ctx.p.tenant_id, v, self_id));
  if (!other) return Status();
  const std::string id = std::to_string(*other);
  return Conflict("conflict.duplicate", f.name + " '" + store::AsText(v) + "' is already used by " + e.en + " " + id,
                  f.name + " '" + store::AsText(v) + "' 已被" + e.zh + " " + id + " 使用", f.name);
}

// Fills owner_id/unit_id of owned records: the entity's own defaults, then the writer, then the
// owner's unit.
Status DefaultOwnership(WriteContext& ctx, const EntityDef& e, ValueMap& v) {
  if (e.scope != Scope::kOwned) return Status();
  if (e.rules) KEEL_RETURN_IF_ERROR(e.rules->DefaultOwnership(ctx, e, v));
  if (Null(v, "owner_id")) {
    if (ctx.p.is_system()) return Required("owner_id");
    v["owner_id"] = ctx.p.user_id;
  }
  if (Null(v, "unit_id")) {
    KEEL_ASSIGN_OR_RETURN(auto owner, LoadColumns(ctx.conn, "users", "unit_id", ctx.p.tenant_id, Int(v, "owner_id")));
    if (!owner) return Status::Invalid("validation.reference", "owner_id: no such user", "owner_id：用户不存在", "owner_id");
    v["unit_id"] = (*owner)["unit_id"];
  }
  return Status();
}

// At least one field of each group (EntityDef::needs_one_of; the OpenAPI schema's anyOf).
Status CheckNeedsOneOf(const EntityDef& e, const ValueMap& v) {
  for (const auto& group : e.needs_one_of) {
    if (std::all_of(group.begin(), group.end(), [&](const std::string& f) { return Null(v, f); })) {
      std::string en, zh;
      for (const auto& f : group) {
        en += (en.empty() ? "" : " or ") + f;
        zh += (zh.empty() ? "" : " 或 ") + f;
      }
      return Status::Invalid("validation.required", "a " + e.en + " needs " + en, e.zh + "至少需要 " + zh, group.back());
    }
  }
  return Status();
}

// Every reference of a new record (and of its child rows) is one the writer can see; unique
// fields are unique.
Status CheckNewReferences(WriteContext& ctx, const EntityDef& e, int64_t id, ValueMap& v, const std::vector<ValueMap>& children) {
  for (const auto& f : e.fields) {
    if (f.type == FieldType::kRef && !Null(v, f.name) && f.writable) KEEL_RETURN_IF_ERROR(CheckRef(ctx, f, Int(v, f.name)));
    if (f.unique) KEEL_RETURN_IF_ERROR(CheckUnique(ctx, e, f, v[f.name], id));
  }
  if (!e.child) return Status();
  for (size_t i = 0; i < children.size(); ++i) {
    for (const auto& f : e.child->fields) {
      if (f.type == FieldType::kRef && !Null(children[i], f.name)) {
        Status st = CheckRef(ctx, f, Int(children[i], f.name));
        if (!st.ok()) return st.WithFieldPrefix(e.child->name + "[" + std::to_string(i) + "]");
      }
    }
  }
  return Status();
}

}  // namespace

namespace engine {

Status CheckScope(WriteContext& ctx, const EntityDef& e, const ValueMap& v) {
  const Principal& p = ctx.p;
  if (SeesWholeTenant(p.role) || e.scope == Scope::kTenant) return Status();
  if (e.scope == Scope::kShared && Null(v, "unit_id")) {
    return Forbidden("only HQ writes " + e.name + " shared with the whole tenant; give your unit_id",
                     "只有总部可以维护全员共享的" + e.zh + "；请指定您的单元 unit_id");
  }
  if (e.rules) KEEL_RETURN_IF_ERROR(e.rules->CheckWriteScope(ctx, e, v));
  if (e.scope == Scope::kOwned && p.role == Role::kRep && Int(v, "owner_id") != p.user_id) {
    return Forbidden("a rep may only write records they own", "销售代表只能操作自己负责的记录");
  }
  if (e.scope == Scope::kOwned && p.role == Role::kSupervisor) {
    KEEL_ASSIGN_OR_RETURN(auto supervisor, LoadSupervisor(ctx.conn, p.tenant_id, Int(v, "owner_id")));
    if (Int(v, "owner_id") != p.user_id && (!supervisor || *supervisor != p.user_id)) {
      return Forbidden("a supervisor may only write records owned by their team", "主管只能操作本团队负责的记录");
    }
    // …and the record must stay inside the supervisor's part of the tree (checked below).
  }
  if (e.scope == Scope::kOwned && p.role == Role::kUnitLead && !Null(v, "owner_id") && Int(v, "owner_id") != p.user_id) {
    // A unit lead assigns records only to people of their own part of the tree.
    KEEL_ASSIGN_OR_RETURN(auto path, LoadUserUnitPath(ctx.conn, p.tenant_id, Int(v, "owner_id")));
    if (!path || path->rfind(p.unit_path, 0) != 0) {
      return Status::Error(ErrorKind::kForbidden, "forbidden", "the record's owner is outside your part of the organisation",
                           "该记录的负责人不在您的管辖范围内", "owner_id");
    }
  }
  // Unit leads (and unit-scoped records for the others): the unit must be in the subtree.
  KEEL_ASSIGN_OR_RETURN(auto unit, LoadUnitPath(ctx.conn, p.tenant_id, Int(v, "unit_id")));
  if (!unit || unit->rfind(p.unit_path, 0) != 0) {
    return Forbidden("the record's unit is outside your part of the organisation", "该记录所属单元不在您的管辖范围内");
  }
  return Status();
}

json ChildrenToJson(const ChildDef& c, const std::vector<ValueMap>& rows) {
  json arr = json::array();
  for (const auto& m : rows) {
    json o = json::object();
    o["line_no"] = Int(m, "line_no");
    for (const auto& f : c.fields) {
      auto it = m.find(f.name);
      o[f.name] = it == m.end() ? json(nullptr) : FromValue(f, it->second);
    }
    arr.push_back(std::move(o));
  }
  return arr;
}

}  // namespace engine

Status RecordService::CheckWritable(store::Connection& conn, const Principal& p, const EntityDef& e,
                                    const std::map<std::string, int64_t>& values) {
  if (p.is_system()) return Status();
  if (!e.CanWrite(p.role)) return Forbidden("your role may not create " + e.name, "您的角色无权创建" + e.zh);
  Ctx ctx{p, conn};
  ValueMap v;
  for (const auto& [field, id] : values) v[field] = id ? Value(id) : Value();
  KEEL_RETURN_IF_ERROR(engine::CheckScope(ctx, e, v));
  for (const auto& f : e.fields) {
    if (f.type == FieldType::kRef && f.writable && !Null(v, f.name)) KEEL_RETURN_IF_ERROR(CheckRef(ctx, f, Int(v, f.name)));
  }
  return Status();
}

Result<json> RecordService::CreateIn(Ctx& ctx, const EntityDef& e, const json& body) {
  if (!e.CanWrite(ctx.p.role)) return Forbidden("your role may not create " + e.name, "您的角色无权创建" + e.zh);
  ValueMap v;
  const json* child_items = nullptr;
  KEEL_RETURN_IF_ERROR(ParseBody(e, body, true, v, &child_items));
  std::vector<ValueMap> children;
  if (e.child) KEEL_RETURN_IF_ERROR(ParseChildren(*e.child, child_items, children));
  for (const auto& f : e.fields) {
    if (Null(v, f.name) && f.type == FieldType::kBool) v[f.name] = int64_t{f.default_value == "true"};
    if (Null(v, f.name) && !f.default_value.empty()) v[f.name] = f.default_value;
  }
  KEEL_RETURN_IF_ERROR(CheckCustom(ctx, e, nullptr, v));
  KEEL_RETURN_IF_ERROR(DefaultOwnership(ctx, e, v));
  for (const auto& f : e.fields) {
    if (f.required && f.writable && Null(v, f.name)) return Required(f.name);
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, ctx.conn.AllocateIds(1));
  const int64_t id = ids[0];
  if (e.rules) KEEL_RETURN_IF_ERROR(e.rules->PrepareCreate(ctx, e, id, v, children));
  KEEL_RETURN_IF_ERROR(CheckNeedsOneOf(e, v));
  KEEL_RETURN_IF_ERROR(engine::CheckScope(ctx, e, v));
  KEEL_RETURN_IF_ERROR(CheckNewReferences(ctx, e, id, v, children));
  v["created_at"] = ctx.now_text;
  v["updated_at"] = ctx.now_text;
  v["created_by"] = ctx.p.user_id == 0 ? Value() : Value(ctx.p.user_id);
  KEEL_RETURN_IF_ERROR(InsertRecord(ctx.conn, e, ctx.p.tenant_id, id, v));
  if (e.child) KEEL_RETURN_IF_ERROR(InsertChildren(ctx.conn, *e.child, ctx.p.tenant_id, id, children));
  if (e.rules) KEEL_RETURN_IF_ERROR(e.rules->AfterCreate(ctx, e, id, v));
  json out = MapToJson(e, id, v);
  if (e.child) out[e.child->name] = engine::ChildrenToJson(*e.child, children);
  Emit(ctx, e.singular + ".created", e.name, id, out);
  if (e.audited_create) ctx.audits.push_back({"create", e.name, id, nullptr, out});
  return out;
}

Result<json> RecordService::UpdateIn(Ctx& ctx, const EntityDef& e, int64_t id, const json& patch) {
  if (!e.CanWrite(ctx.p.role)) return Forbidden("your role may not change " + e.name, "您的角色无权修改" + e.zh);
  KEEL_ASSIGN_OR_RETURN(store::Rows r, LoadRecord(ctx.conn, e, ctx.p, id));
  if (r.empty()) return Status::NotFound(e.en);
  ValueMap before = RowToMap(r, 0);
  if (!Null(before, "archived_at")) return Conflict("record.archived", "this " + e.en + " is archived", "该" + e.zh + "已归档");
  ValueMap changes;
  const json* none = nullptr;
  KEEL_RETURN_IF_ERROR(ParseBody(e, patch, false, changes, &none));
  if (changes.count("custom")) KEEL_RETURN_IF_ERROR(CheckCustom(ctx, e, &before, changes));
  ValueMap after = before;
  for (auto& [k, val] : changes) after[k] = val;
  for (const auto& f : e.fields) {
    if (f.required && f.writable && Null(after, f.name)) return Required(f.name);
  }
  // Readable is not writable here: the stored record must be in the writer's part too.
  if (ReadsBeyondWrites(e.scope)) KEEL_RETURN_IF_ERROR(engine::CheckScope(ctx, e, before));
  if (e.rules) KEEL_RETURN_IF_ERROR(e.rules->PrepareUpdate(ctx, e, id, before, after));
  KEEL_RETURN_IF_ERROR(engine::CheckScope(ctx, e, after));
  std::vector<std::string> changed;
  for (const auto& f : e.fields) {
    auto a = after.find(ColumnOf(f));
    if (a == after.end()) a = after.find(f.name);
    if (a == after.end()) continue;
    auto b = before.find(ColumnOf(f));
    if (b != before.end() && b->second == a->second) continue;
    if (f.type == FieldType::kRef && !store::IsNull(a->second)) KEEL_RETURN_IF_ERROR(CheckRef(ctx, f, store::AsInt(a->second)));
    if (f.unique) KEEL_RETURN_IF_ERROR(CheckUnique(ctx, e, f, a->second, id));
    changed.push_back(f.name);
  }
  json before_json = RowToJson(e, r, 0);
  if (changed.empty()) return before_json;
  after["updated_at"] = ctx.now_text;
  KEEL_RETURN_IF_ERROR(UpdateRecord(ctx.conn, e, ctx.p.tenant_id, id, changed, after, ctx.now_text));
  // password is stored as password_hash; keep the JSON view free of it.
  ValueMap view = after;
  view.erase("password");
  json after_json = MapToJson(e, id, view);
  if (e.child) {
    // The event carries the whole record, lines included, so consumers can retract the old facts.
    KEEL_ASSIGN_OR_RETURN(auto rows, LoadChildren(ctx.conn, *e.child, ctx.p.tenant_id, id));
    after_json[e.child->name] = engine::ChildrenToJson(*e.child, rows);
  }
  json diff = json::object();
  for (const auto& name : changed) {
    if (e.Field(name)->hidden) {
      diff[name] = {{"from", "***"}, {"to", "***"}};
      continue;
    }
    diff[name] = {{"from", before_json[name]}, {"to", after_json[name]}};
  }
  Emit(ctx, e.singular + ".updated", e.name, id, {{"changes", diff}, {"record", after_json}});
  ctx.audits.push_back({"update", e.name, id, before_json, after_json});
  return after_json;
}

}  // namespace keel::domain
