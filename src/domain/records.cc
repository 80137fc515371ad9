// The record service's transactions: create, batch create, read, update, archive, and the
// observers told after a commit. The engine they call is record_engine.cc.
#include "domain/records.h"

#include "domain/codec.h"
#include "domain/records_internal.h"
#include "domain/store.h"

namespace keel::domain {

using store::Value;
using namespace rules;

int RecordService::AddObserver(WriteObserver observer) {
  std::lock_guard lock(observers_mu_);
  observers_.emplace_back(next_observer_, std::move(observer));
  return next_observer_++;
}

void RecordService::RemoveObserver(int handle) {
  std::lock_guard lock(observers_mu_);
  std::erase_if(observers_, [handle](const auto& o) { return o.first == handle; });
}

bool RecordService::Observe(const Principal& p, const EntityDef& e, int64_t id, const std::string& op, const json& record,
                            const json& changes) {
  std::vector<WriteObserver> observers;
  {
    std::lock_guard lock(observers_mu_);
    for (const auto& [handle, o] : observers_) observers.push_back(o);
  }
  bool wrote = false;
  for (const auto& o : observers) wrote = o(p, e, id, op, record, changes) || wrote;
  return wrote;
}

Result<json> RecordService::Create(const Principal& p, const EntityDef& e, const json& body,
                                   const WriteOptions& opt) {
  json out;
  {
    KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
    KEEL_ASSIGN_OR_RETURN(Ctx ctx, Begin(p, opt, conn));
    KEEL_ASSIGN_OR_RETURN(out, CreateIn(ctx, e, body));
    KEEL_RETURN_IF_ERROR(Finish(ctx));
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  // After the commit and with the connection back in the pool: observers may write themselves
  // (a workflow its creation started); the reply then shows where the record got to.
  if (Observe(p, e, out.value("id", json(0)).get<int64_t>(), "create", out, json::object())) {
    auto fresh = Get(p, e, out.value("id", json(0)).get<int64_t>());
    if (fresh.ok()) return *fresh;
  }
  return out;
}

Result<json> RecordService::CreateWithin(store::Connection& conn, const Principal& p, const EntityDef& e, const json& body) {
  KEEL_ASSIGN_OR_RETURN(Ctx ctx, Begin(p, WriteOptions{}, conn));
  KEEL_ASSIGN_OR_RETURN(json out, CreateIn(ctx, e, body));
  KEEL_RETURN_IF_ERROR(Finish(ctx));
  return out;
}

Result<BatchResult> RecordService::CreateBatch(const Principal& p, const EntityDef& e,
                                               const json& items, const WriteOptions& opt,
                                               size_t max_items) {
  if (!items.is_array()) {
    return Status::Invalid("validation.body", "the body must be a JSON array of records",
                           "请求体必须是记录组成的 JSON 数组");
  }
  if (items.empty() || items.size() > max_items) {
    return Status::Invalid("validation.batch_size",
                           "a batch holds 1 to " + std::to_string(max_items) + " records",
                           "每批应包含 1 到 " + std::to_string(max_items) + " 条记录");
  }
  if (!e.CanWrite(p.role)) {
    return Forbidden("your role may not create " + e.name, "您的角色无权创建" + e.zh);
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(Ctx ctx, Begin(p, opt, conn));
  BatchResult result;
  if (!opt.record_times.empty() && opt.record_times.size() != items.size()) {
    return Status::Internal("record_times does not match the batch size");
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (!opt.record_times.empty()) {
      ctx.now = opt.record_times[i];
      ctx.now_text = FormatTimestamp(ctx.now);
    }
    size_t events_before = ctx.events.size(), audits_before = ctx.audits.size();
    KEEL_RETURN_IF_ERROR(conn->Savepoint("rec"));
    auto created = CreateIn(ctx, e, items[i]);
    if (created.ok()) {
      KEEL_RETURN_IF_ERROR(conn->ReleaseSavepoint("rec"));
      result.ids.push_back((*created)["id"].get<int64_t>());
      result.created_at.push_back(i);
      continue;
    }
    if (created.status().kind() == ErrorKind::kInternal ||
        created.status().kind() == ErrorKind::kUnavailable) {
      return created.status();
    }
    KEEL_RETURN_IF_ERROR(conn->RollbackToSavepoint("rec"));
    KEEL_RETURN_IF_ERROR(conn->ReleaseSavepoint("rec"));
    ctx.events.resize(events_before);
    ctx.audits.resize(audits_before);
    // A reference verified inside the rolled-back record may not exist any more.
    ctx.refs_ok.clear();
    result.errors.push_back({i, created.status()});
  }
  KEEL_RETURN_IF_ERROR(Finish(ctx));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return result;
}

Result<json> RecordService::Get(const Principal& p, const EntityDef& e, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Rows r, LoadRecord(*conn, e, p, id));
  if (r.empty()) return Status::NotFound(e.en);
  json out = RowToJson(e, r, 0);
  if (e.child) {
    KEEL_ASSIGN_OR_RETURN(auto rows, LoadChildren(*conn, *e.child, p.tenant_id, id));
    out[e.child->name] = engine::ChildrenToJson(*e.child, rows);
  }
  return out;
}

Result<json> RecordService::GetWritable(const Principal& p, const EntityDef& e, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Rows r, LoadRecord(*conn, e, p, id));
  if (r.empty()) return Status::NotFound(e.en);
  if (!e.CanWrite(p.role)) return Forbidden("your role may not change " + e.name, "您的角色无权修改" + e.zh);
  Ctx ctx{p, *conn};
  KEEL_RETURN_IF_ERROR(engine::CheckScope(ctx, e, RowToMap(r, 0)));
  return RowToJson(e, r, 0);
}

Result<json> RecordService::Update(const Principal& p, const EntityDef& e, int64_t id,
                                   const json& patch, const WriteOptions& opt) {
  json out, changes = json::object();
  {
    KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
    KEEL_ASSIGN_OR_RETURN(Ctx ctx, Begin(p, opt, conn));
    KEEL_ASSIGN_OR_RETURN(out, UpdateIn(ctx, e, id, patch));
    if (e.child) {
      KEEL_ASSIGN_OR_RETURN(auto rows, LoadChildren(*conn, *e.child, p.tenant_id, id));
      out[e.child->name] = engine::ChildrenToJson(*e.child, rows);
    }
    if (!ctx.events.empty() && ctx.events.back().entity == e.name && ctx.events.back().entity_id == id) {
      json ev = json::parse(ctx.events.back().payload, nullptr, false);
      if (ev.is_object() && ev.contains("changes")) changes = ev["changes"];
    }
    KEEL_RETURN_IF_ERROR(Finish(ctx));
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  if (!changes.empty() && Observe(p, e, id, "update", out, changes)) {
    auto fresh = Get(p, e, id);
    if (fresh.ok()) return *fresh;
  }
  return out;
}

Result<json> RecordService::Archive(const Principal& p, const EntityDef& e, int64_t id,
                                    const WriteOptions& opt) {
  if (!e.CanWrite(p.role)) {
    return Forbidden("your role may not archive " + e.name, "您的角色无权归档" + e.zh);
  }
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(Ctx ctx, Begin(p, opt, conn));
  KEEL_ASSIGN_OR_RETURN(store::Rows r, LoadRecord(*conn, e, p, id));
  if (r.empty()) return Status::NotFound(e.en);
  if (ReadsBeyondWrites(e.scope)) KEEL_RETURN_IF_ERROR(engine::CheckScope(ctx, e, RowToMap(r, 0)));
  json before = RowToJson(e, r, 0);
  if (!before["archived_at"].is_null()) return before;  // archiving twice is a no-op
  ValueMap stored = RowToMap(r, 0);
  if (e.rules) KEEL_RETURN_IF_ERROR(e.rules->PrepareArchive(ctx, e, id, stored));
  KEEL_RETURN_IF_ERROR(ArchiveRecord(*conn, e.name, p.tenant_id, id, ctx.now_text));
  if (e.rules) KEEL_RETURN_IF_ERROR(e.rules->AfterArchive(ctx, e, id));
  json after = before;
  after["archived_at"] = ctx.now_text;
  after["updated_at"] = ctx.now_text;
  Emit(ctx, e.singular + ".archived", e.name, id, {{"id", id}});
  ctx.audits.push_back({"archive", e.name, id, before, after});
  KEEL_RETURN_IF_ERROR(Finish(ctx));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return after;
}

Result<RecordService::Ctx> RecordService::Begin(const Principal& p, const WriteOptions& opt,
                                                store::PooledConnection& conn) {
  return Begin(p, opt, *conn);
}

Result<RecordService::Ctx> RecordService::Begin(const Principal& p, const WriteOptions& opt,
                                                store::Connection& conn) {
  if ((opt.at || !opt.record_times.empty()) && !p.is_system() && !p.import) {
    return Forbidden("only imports may set the write time", "只有导入任务可以指定写入时间");
  }
  Ctx ctx{p, conn};
  ctx.now = opt.at ? *opt.at : clock_.NowMs();
  ctx.now_text = FormatTimestamp(ctx.now);
  ctx.request_id = opt.request_id.empty() ? p.request_id : opt.request_id;
  ctx.checked = opt.checked;
  KEEL_RETURN_IF_ERROR(events::LockTenant(conn, p.tenant_id));
  {
    std::lock_guard g(tenants_mu_);
    auto it = tenants_.find(p.tenant_id);
    if (it != tenants_.end()) ctx.tenant = it->second;
  }
  if (ctx.tenant.id == 0) {
    // Read on the connection we hold: borrowing a second one could exhaust the pool.
    KEEL_ASSIGN_OR_RETURN(ctx.tenant, LoadTenant(conn, p.tenant_id));
    std::lock_guard g(tenants_mu_);
    tenants_[p.tenant_id] = ctx.tenant;
  }
  return ctx;
}

Status RecordService::Finish(Ctx& ctx) {
  KEEL_RETURN_IF_ERROR(events::Append(ctx.conn, ctx.p.tenant_id, ctx.events).status());
  return AuditChanges(ctx.conn, ctx.p, ctx.now_text, ctx.audits, ctx.request_id);
}

}  // namespace keel::domain
