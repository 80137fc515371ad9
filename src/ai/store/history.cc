// The AI repository: the reads the features, contact times and look-alikes are computed from
// (records, audit trail, stage history, activities, signals, orders).
#include "ai/store.h"

#include <algorithm>

namespace keel::ai::repo {
namespace {

using store::Value;

// Runs `query(in, params)` once per chunk of at most 400 ids, `in` being " IN (?, …)" with the
// chunk's ids in `params`; without ids once with "" (no filter).
template <typename F>
Status ForChunks(const std::vector<int64_t>& ids, F query) {
  if (ids.empty()) return query(std::string(), std::vector<Value>());
  for (size_t from = 0; from < ids.size(); from += 400) {
    size_t n = std::min<size_t>(400, ids.size() - from);
    std::string in = " IN (?";
    std::vector<Value> params = {ids[from]};
    for (size_t i = 1; i < n; ++i) {
      in += ", ?";
      params.emplace_back(ids[from + i]);
    }
    KEEL_RETURN_IF_ERROR(query(in + ")", params));
  }
  return Status();
}

}  // namespace

Result<std::vector<LeadRecordRow>> LeadRecords(Conn& conn, int64_t tenant, const std::vector<int64_t>& ids) {
  std::vector<LeadRecordRow> out;
  KEEL_RETURN_IF_ERROR(ForChunks(ids, [&](const std::string& in, std::vector<Value> params) -> Status {
    params.insert(params.begin(), Value(tenant));
    std::string sql = "SELECT id, owner_id, unit_id, customer_id, source, channel, region, company, status, created_at, "
                      "first_response_at, converted_at, archived_at, updated_at, custom FROM leads WHERE tenant_id = ?";
    if (!in.empty()) sql += " AND id" + in;
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql, params));
    for (store::Row r : rows) {
      LeadRecordRow l;
      l.id = r.Int("id");
      l.owner_id = r.Int("owner_id");
      l.unit_id = r.Int("unit_id");
      l.customer_id = r.Int("customer_id");
      l.source = r.Text("source");
      l.channel = r.Text("channel");
      l.region = r.Text("region");
      l.company = r.Text("company");
      l.status = r.Text("status");
      l.created_at = r.Text("created_at");
      l.first_response_at = r.Text("first_response_at");
      l.converted_at = r.Text("converted_at");
      l.archived = !r.Null("archived_at");
      l.updated_at = r.Text("updated_at");
      l.custom = r.Text("custom");
      out.push_back(std::move(l));
    }
    return Status();
  }));
  return out;
}

Result<std::vector<DealRecordRow>> DealRecords(Conn& conn, int64_t tenant, const std::vector<int64_t>& ids) {
  std::vector<DealRecordRow> out;
  KEEL_RETURN_IF_ERROR(ForChunks(ids, [&](const std::string& in, std::vector<Value> params) -> Status {
    params.insert(params.begin(), Value(tenant));
    std::string sql = "SELECT o.id, o.owner_id, o.unit_id, o.customer_id, o.source, o.product_category, o.amount, "
                      "o.stage, o.outcome, o.created_at, o.closed_at, o.archived_at, o.expected_close, c.segment, "
                      "c.industry, c.region, o.discount_pct, o.custom FROM opportunities o LEFT JOIN customers c ON c.tenant_id = o.tenant_id "
                      "AND c.id = o.customer_id WHERE o.tenant_id = ?";
    if (!in.empty()) sql += " AND o.id" + in;
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql, params));
    for (store::Row r : rows) {
      DealRecordRow d;
      d.id = r.Int("id");
      d.owner_id = r.Int("owner_id");
      d.unit_id = r.Int("unit_id");
      d.customer_id = r.Int("customer_id");
      d.amount_fen = r.Int("amount");
      d.source = r.Text("source");
      d.product_category = r.Text("product_category");
      d.stage = r.Text("stage");
      d.outcome = r.Text("outcome");
      d.created_at = r.Text("created_at");
      d.closed_at = r.Text("closed_at");
      d.archived = !r.Null("archived_at");
      d.expected_close = r.Text("expected_close");
      d.segment = r.Text("segment");
      d.industry = r.Text("industry");
      d.region = r.Text("region");
      d.discount_pct = r.OptDouble("discount_pct");
      d.custom = r.Text("custom");
      out.push_back(std::move(d));
    }
    return Status();
  }));
  return out;
}

Result<std::vector<AuditUpdateRow>> AuditUpdates(Conn& conn, int64_t tenant, const std::string& entity, const std::vector<int64_t>& ids) {
  std::vector<AuditUpdateRow> out;
  KEEL_RETURN_IF_ERROR(ForChunks(ids, [&](const std::string& in, std::vector<Value> params) -> Status {
    params.insert(params.begin(), {Value(tenant), Value(entity)});
    std::string sql = "SELECT entity_id, at, before, after FROM audit_log WHERE tenant_id = ? AND entity = ? AND action = 'update'";
    if (!in.empty()) sql += " AND entity_id" + in;
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql + " ORDER BY at, id", params));
    for (store::Row r : rows) out.push_back({r.Int("entity_id"), r.Text("at"), r.Text("before"), r.Text("after")});
    return Status();
  }));
  return out;
}

Result<std::vector<StageRow>> StageHistory(Conn& conn, int64_t tenant, const std::vector<int64_t>& ids) {
  std::vector<StageRow> out;
  KEEL_RETURN_IF_ERROR(ForChunks(ids, [&](const std::string& in, std::vector<Value> params) -> Status {
    params.insert(params.begin(), Value(tenant));
    std::string sql = "SELECT opportunity_id, changed_at, to_stage, amount FROM opportunity_stage_history WHERE tenant_id = ?";
    if (!in.empty()) sql += " AND opportunity_id" + in;
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql, params));
    for (store::Row r : rows) out.push_back({r.Int("opportunity_id"), r.Text("changed_at"), r.Text("to_stage"), r.OptDouble("amount")});
    return Status();
  }));
  return out;
}

Result<std::vector<ActivityRow>> RecordActivities(Conn& conn, int64_t tenant, bool lead, const std::vector<int64_t>& ids) {
  std::vector<ActivityRow> out;
  const char* key = lead ? "lead_id" : "opportunity_id";
  KEEL_RETURN_IF_ERROR(ForChunks(ids, [&](const std::string& in, std::vector<Value> params) -> Status {
    params.insert(params.begin(), Value(tenant));
    std::string sql = std::string("SELECT ") + key + " AS record_id, occurred_at, kind, outcome, duration_min, created_at FROM activities "
                      "WHERE tenant_id = ? AND " + key + (in.empty() ? " IS NOT NULL" : in) + " AND archived_at IS NULL";
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql, params));
    for (store::Row r : rows) {
      out.push_back({r.Int("record_id"), r.Text("occurred_at"), r.Text("kind"), r.Text("outcome"), r.Text("created_at"),
                     r.Int("duration_min")});
    }
    return Status();
  }));
  return out;
}

Result<std::vector<SentimentRow>> SignalSentiments(Conn& conn, int64_t tenant, const std::vector<int64_t>& customers) {
  std::vector<SentimentRow> out;
  KEEL_RETURN_IF_ERROR(ForChunks(customers, [&](const std::string& in, std::vector<Value> params) -> Status {
    params.insert(params.begin(), Value(tenant));
    std::string sql = "SELECT customer_id, occurred_at, sentiment FROM signals WHERE tenant_id = ? AND sentiment IS NOT NULL AND customer_id" +
                      (in.empty() ? std::string(" IS NOT NULL") : in);
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql, params));
    for (store::Row r : rows) out.push_back({r.Int("customer_id"), r.Text("occurred_at"), r.Double("sentiment")});
    return Status();
  }));
  return out;
}

Result<std::vector<PurchaseRow>> Purchases(Conn& conn, int64_t tenant, const std::vector<int64_t>& customers) {
  std::vector<PurchaseRow> out;
  if (customers.empty()) return out;
  KEEL_RETURN_IF_ERROR(ForChunks(customers, [&](const std::string& in, std::vector<Value> params) -> Status {
    params.insert(params.begin(), Value(tenant));
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
        "SELECT customer_id, ordered_at, total, discount_total, created_at FROM orders WHERE tenant_id = ? AND "
        "status IN ('paid', 'refunded') AND customer_id" + in,
        params));
    for (store::Row r : rows) {
      out.push_back({r.Int("customer_id"), r.Text("ordered_at"), r.Text("created_at"), r.Double("total"), r.Double("discount_total")});
    }
    return Status();
  }));
  return out;
}

Result<std::vector<CustomRow>> CustomerCustom(Conn& conn, int64_t tenant, const std::vector<int64_t>& customers) {
  std::vector<CustomRow> out;
  KEEL_RETURN_IF_ERROR(ForChunks(customers, [&](const std::string& in, std::vector<Value> params) -> Status {
    params.insert(params.begin(), Value(tenant));
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
        "SELECT id, custom FROM customers WHERE tenant_id = ? AND custom IS NOT NULL" + (in.empty() ? std::string() : " AND id" + in),
        params));
    for (store::Row r : rows) out.push_back({r.Int("id"), r.Text("custom")});
    return Status();
  }));
  return out;
}

Result<std::vector<OutcomeRow>> OwnerOutcomeRows(Conn& conn, int64_t tenant, bool lead) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      lead ? "SELECT owner_id, CASE WHEN status = 'converted' THEN 1 ELSE 0 END AS success, COALESCE(converted_at, updated_at) AS "
             "resolved_at FROM leads WHERE tenant_id = ? AND status IN ('converted', 'disqualified')"
           : "SELECT owner_id, CASE WHEN outcome = 'won' THEN 1 ELSE 0 END AS success, closed_at AS resolved_at FROM opportunities "
             "WHERE tenant_id = ? AND outcome IN ('won', 'lost')",
      q));
  std::vector<OutcomeRow> out;
  for (store::Row r : rows) out.push_back({r.Int("owner_id"), r.Bool("success"), r.Text("resolved_at")});
  return out;
}

Result<std::vector<CallRow>> TenantCalls(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT a.occurred_at, a.outcome, a.owner_id, c.segment FROM activities a LEFT JOIN customers c ON c.tenant_id = a.tenant_id "
      "AND c.id = a.customer_id WHERE a.tenant_id = ? AND a.kind = 'call' AND a.outcome IS NOT NULL AND a.archived_at IS NULL", q));
  std::vector<CallRow> out;
  for (store::Row r : rows) out.push_back({r.Text("occurred_at"), r.Text("outcome"), r.Int("owner_id"), r.OptText("segment")});
  return out;
}

Result<std::optional<OwnerSegment>> RecordOwner(Conn& conn, int64_t tenant, bool lead, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(lead ? "SELECT owner_id, NULL AS segment FROM leads WHERE tenant_id = ? AND id = ?"
                                                          : "SELECT owner_id, segment FROM customers WHERE tenant_id = ? AND id = ?",
                                                     q));
  if (rows.empty()) return std::optional<OwnerSegment>();
  return std::optional<OwnerSegment>(OwnerSegment{rows.row(0).Int("owner_id"), rows.row(0).OptText("segment")});
}

Result<std::vector<CallRow>> RecordCalls(Conn& conn, int64_t tenant, bool lead, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      std::string("SELECT occurred_at, outcome FROM activities WHERE tenant_id = ? AND ") + (lead ? "lead_id" : "customer_id") +
          " = ? AND kind = 'call' AND outcome IS NOT NULL AND archived_at IS NULL",
      q));
  std::vector<CallRow> out;
  for (store::Row r : rows) out.push_back({r.Text("occurred_at"), r.Text("outcome"), 0, std::nullopt});
  return out;
}

Result<std::vector<B2bCustomerRow>> B2bCustomers(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id, name, owner_id, segment, industry, region FROM customers WHERE tenant_id = ? AND kind = 'b2b' AND archived_at IS NULL", q));
  std::vector<B2bCustomerRow> out;
  for (store::Row r : rows) {
    out.push_back({r.Int("id"), r.Int("owner_id"), r.Text("name"), r.Text("segment"), r.Text("industry"), r.Text("region")});
  }
  return out;
}

Result<std::vector<OrderStatsRow>> OrderStats(Conn& conn, int64_t tenant, const std::string& from) {
  Value q[] = {tenant, from};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT customer_id, COUNT(*) AS orders, SUM(total) AS revenue, MAX(ordered_at) AS last_order FROM orders WHERE tenant_id = ? AND "
      "customer_id IS NOT NULL AND status = 'paid' AND ordered_at >= ? GROUP BY customer_id", q));
  std::vector<OrderStatsRow> out;
  for (store::Row r : rows) out.push_back({r.Int("customer_id"), r.Double("orders"), r.Double("revenue"), r.Text("last_order")});
  return out;
}

Result<std::vector<CountRow>> CategoriesBought(Conn& conn, int64_t tenant, const std::string& from) {
  Value q[] = {tenant, from};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT o.customer_id, COUNT(DISTINCT p.category_path) AS n FROM orders o JOIN order_lines l ON "
      "l.tenant_id = o.tenant_id AND l.order_id = o.id JOIN products p ON p.tenant_id = l.tenant_id AND "
      "p.id = l.product_id WHERE o.tenant_id = ? AND o.customer_id IS NOT NULL AND o.status = 'paid' AND "
      "o.ordered_at >= ? GROUP BY o.customer_id", q));
  std::vector<CountRow> out;
  for (store::Row r : rows) out.push_back({r.Int("customer_id"), r.Double("n"), 0});
  return out;
}

Result<std::vector<CountRow>> ActivityCounts(Conn& conn, int64_t tenant, const std::string& from) {
  Value q[] = {tenant, from};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT customer_id, COUNT(*) AS n FROM activities WHERE tenant_id = ? AND customer_id IS NOT NULL AND "
      "occurred_at >= ? AND archived_at IS NULL GROUP BY customer_id", q));
  std::vector<CountRow> out;
  for (store::Row r : rows) out.push_back({r.Int("customer_id"), r.Double("n"), 0});
  return out;
}

Result<std::vector<CountRow>> WonDeals(Conn& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT customer_id, COUNT(*) AS n, SUM(amount) AS amount FROM opportunities WHERE tenant_id = ? AND outcome = 'won' "
      "AND archived_at IS NULL GROUP BY customer_id", q));
  std::vector<CountRow> out;
  for (store::Row r : rows) out.push_back({r.Int("customer_id"), r.Double("n"), r.Double("amount")});
  return out;
}

}  // namespace keel::ai::repo
