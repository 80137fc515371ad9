// Lead conversion (线索转化): a qualified or working lead becomes a customer (created or linked),
// a contact and an opportunity, in one transaction.
#include "domain/records.h"

#include "domain/codec.h"
#include "domain/records_internal.h"
#include "domain/store.h"

namespace keel::domain {

using store::Value;
using namespace rules;

Result<json> RecordService::ConvertLead(const Principal& p, int64_t lead_id, const json& body,
                                        const WriteOptions& opt) {
  const EntityDef& leads = *FindEntity("leads");
  if (!leads.CanWrite(p.role)) return Forbidden("your role may not convert leads", "您的角色无权转化线索");
  KEEL_RETURN_IF_ERROR(CheckObject(body, {"customer_id", "customer", "opportunity"}));
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(Ctx ctx, Begin(p, opt, conn));
  KEEL_ASSIGN_OR_RETURN(store::Rows r, LoadRecord(*conn, leads, p, lead_id));
  if (r.empty()) return Status::NotFound(leads.en);
  json lead = RowToJson(leads, r, 0);
  std::string status = lead["status"];
  if (status != "qualified" && status != "working") {
    return Conflict("lead.not_convertible",
                    "only a working or qualified lead can be converted (this one is " + status + ")",
                    "只有跟进中或已确认的线索可以转化（当前为 " + status + "）", "status");
  }
  if (!lead["archived_at"].is_null()) {
    return Conflict("record.archived", "this lead is archived", "该线索已归档");
  }
  json owner = {{"owner_id", lead["owner_id"]}, {"unit_id", lead["unit_id"]}};
  int64_t customer_id = 0;
  if (body.contains("customer_id")) {
    if (!body["customer_id"].is_number_integer()) {
      return Status::Invalid("validation.type", "customer_id must be an id", "customer_id 应为记录 ID",
                             "customer_id");
    }
    customer_id = body["customer_id"].get<int64_t>();
    KEEL_RETURN_IF_ERROR(CheckRef(ctx, *FindEntity("leads")->Field("customer_id"),
                                               customer_id));
  } else if (!lead["customer_id"].is_null()) {
    customer_id = lead["customer_id"].get<int64_t>();
  } else {
    json c = body.value("customer", json::object());
    if (!c.is_object()) {
      return Status::Invalid("validation.type", "customer must be an object", "customer 应为对象",
                             "customer");
    }
    if (!c.contains("name")) {
      c["name"] = !lead["company"].is_null() ? lead["company"] : !lead["contact_name"].is_null()
                                                                    ? lead["contact_name"]
                                                                    : lead["title"];
    }
    if (!c.contains("code")) c["code"] = "L" + std::to_string(lead_id);
    if (!c.contains("kind")) c["kind"] = lead["company"].is_null() ? "retail" : "b2b";
    for (const char* k : {"phone", "email", "region", "city"}) {
      if (!c.contains(k) && !lead[k].is_null()) c[k] = lead[k];
    }
    if (!c.contains("source")) c["source"] = lead["source"];
    for (auto& [k, val] : owner.items()) {
      if (!c.contains(k)) c[k] = val;
    }
    auto created = CreateIn(ctx, *FindEntity("customers"), c);
    if (!created.ok()) return created.status().WithFieldPrefix("customer");
    customer_id = (*created)["id"].get<int64_t>();
    if (!lead["contact_name"].is_null()) {
      json ct = {{"customer_id", customer_id}, {"name", lead["contact_name"]}, {"is_primary", true}};
      if (!lead["phone"].is_null()) ct["phone"] = lead["phone"];
      if (!lead["email"].is_null()) ct["email"] = lead["email"];
      auto contact = CreateIn(ctx, *FindEntity("contacts"), ct);
      if (!contact.ok()) return contact.status().WithFieldPrefix("contact");
    }
  }
  json o = body.value("opportunity", json::object());
  if (!o.is_object()) {
    return Status::Invalid("validation.type", "opportunity must be an object", "opportunity 应为对象",
                           "opportunity");
  }
  o["customer_id"] = customer_id;
  if (!o.contains("name")) o["name"] = lead["title"];
  if (!o.contains("amount")) o["amount"] = 0;
  if (!o.contains("source")) o["source"] = lead["source"];
  for (auto& [k, val] : owner.items()) {
    if (!o.contains(k)) o[k] = val;
  }
  auto opp = CreateIn(ctx, *FindEntity("opportunities"), o);
  if (!opp.ok()) return opp.status().WithFieldPrefix("opportunity");
  int64_t opp_id = (*opp)["id"].get<int64_t>();
  KEEL_RETURN_IF_ERROR(MarkLeadConverted(*conn, p.tenant_id, lead_id, customer_id, opp_id, ctx.now_text));
  KEEL_RETURN_IF_ERROR(LinkOpportunityToLead(*conn, p.tenant_id, opp_id, lead_id));
  json after = lead;
  after["status"] = "converted";
  after["converted_at"] = ctx.now_text;
  after["customer_id"] = customer_id;
  after["opportunity_id"] = opp_id;
  after["updated_at"] = ctx.now_text;
  Emit(ctx, "lead.converted", "leads", lead_id,
                    {{"customer_id", customer_id}, {"opportunity_id", opp_id},
                     {"owner_id", lead["owner_id"]}, {"unit_id", lead["unit_id"]},
                     {"source", lead["source"]}});
  ctx.audits.push_back({"convert", "leads", lead_id, lead, after});
  KEEL_RETURN_IF_ERROR(Finish(ctx));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  json opp_json = *opp;
  opp_json["lead_id"] = lead_id;
  return json{{"lead", after}, {"customer_id", customer_id}, {"opportunity", opp_json}};
}

}  // namespace keel::domain
