// Routes of the agile units: approval workflows and requests, the inbox, delegation grants
// (org::ApprovalEngine), budgets, and pricing authority, quotes and contracts (org::Commerce).
#include "http/api.h"
#include "http/members.h"
#include "http/openapi.h"
#include "common/time.h"
#include "domain/codec.h"
#include "org/commerce/commerce.h"
#include "org/commerce/json.h"
#include "org/workflow/approvals.h"
#include "org/workflow/json.h"
#include "org/budgets.h"
#include "org/money_json.h"
#include "common/json_util.h"

namespace keel::http {
namespace {

json Body(const Call& c) { return c.body.is_null() ? json::object() : c.body; }

// The 400 the server answers when a handler reads a value of the wrong JSON type (WrongJsonType):
// the services read these members late, so the command carries the error to where they do.

// A text member: `fallback` when absent (or the body is no object: its shape error comes first),
// the 400 above for any other JSON type (null included).
Result<std::string> TextMember(const json& body, const char* key, const std::string& fallback) {
  if (!body.is_object()) return fallback;
  try {
    return body.value(key, fallback);
  } catch (const json::type_error& e) {
    return WrongJsonType(e);
  }
}

// POST /approvals {object, record_id, definition?, comment?}.
org::SubmitRequest SubmitRequestOf(const json& body) {
  org::SubmitRequest r;
  r.problem = domain::CheckObject(body, {"object", "record_id", "definition", "comment"});
  if (!body.is_object()) return r;
  Result<std::string> object = TextMember(body, "object", "");
  if (object.ok()) r.object = *object;
  else if (r.problem.ok()) r.problem = object.status();
  if (body.contains("record_id") && body["record_id"].is_number_integer()) r.record_id = body["record_id"].get<int64_t>();
  if (body.contains("definition")) r.definition = TextMember(body, "definition", "");
  r.comment = TextMember(body, "comment", "");
  return r;
}

// POST /pricing-authority {unit_id, max_discount_pct, role?, category_prefix?, min_amount?}.
org::PricingAuthorityDraft AuthorityDraftOf(const json& body) {
  org::PricingAuthorityDraft d;
  d.problem = domain::CheckObject(body, {"unit_id", "role", "category_prefix", "min_amount", "max_discount_pct"});
  if (!body.is_object()) return d;
  if (body.contains("unit_id") && body["unit_id"].is_number_integer()) d.unit_id = body["unit_id"].get<int64_t>();
  if (body.contains("max_discount_pct") && body["max_discount_pct"].is_number()) {
    d.max_discount_pct = body["max_discount_pct"].get<double>();
    d.pct_is_integer = body["max_discount_pct"].is_number_integer();
  }
  if (body.contains("role")) d.role = body["role"].is_string() ? body["role"].get<std::string>() : "?";  // not a role
  if (body.contains("min_amount")) d.min_amount = body["min_amount"].is_number() ? body["min_amount"].get<double>() : -1;  // out of range
  if (body.contains("category_prefix") && body["category_prefix"].is_string()) d.category_prefix = body["category_prefix"].get<std::string>();
  return d;
}

// POST /quotes/{id}/submit {comment?, override_reason?}.
org::QuoteSubmit QuoteSubmitOf(const json& body) {
  org::QuoteSubmit s;
  s.problem = domain::CheckObject(body, {"comment", "override_reason"});
  if (!body.is_object()) return s;
  if (body.contains("override_reason")) {
    if (body["override_reason"].is_string()) s.override_reason = body["override_reason"].get<std::string>();
    else if (s.problem.ok()) s.problem = Status::Invalid("validation.type", "override_reason must be text", "override_reason 应为文本", "override_reason");
  }
  s.comment = TextMember(body, "comment", "");
  return s;
}

// POST /quotes/{id}/order {channel?, ordered_at?}: the order's fields as given.
org::QuoteToOrder QuoteToOrderOf(const json& body) {
  org::QuoteToOrder o;
  o.problem = domain::CheckObject(body, {"channel", "ordered_at"});
  if (!body.is_object()) return o;
  if (body.contains("channel")) o.channel = body["channel"];
  if (body.contains("ordered_at")) o.ordered_at = body["ordered_at"];
  return o;
}

// POST /contracts/{id}/sign {legal_reviewed?, override_reason?}.
org::ContractSign ContractSignOf(const json& body) {
  org::ContractSign s;
  s.problem = domain::CheckObject(body, {"legal_reviewed", "override_reason"});
  if (!body.is_object()) return s;
  if (body.contains("legal_reviewed")) {
    if (body["legal_reviewed"].is_boolean()) s.legal_reviewed = body["legal_reviewed"].get<bool>();
    else if (s.problem.ok()) s.problem = Status::Invalid("validation.type", "legal_reviewed is true or false", "legal_reviewed 应为 true 或 false", "legal_reviewed");
  }
  if (body.contains("override_reason")) {
    if (body["override_reason"].is_string()) s.override_reason = body["override_reason"].get<std::string>();
    else if (s.problem.ok()) s.problem = Status::Invalid("validation.type", "override_reason is a text", "override_reason 应为文本", "override_reason");
  }
  return s;
}

Result<json> ArchiveAuthority(org::Commerce& cm, const Call& c) {
  KEEL_RETURN_IF_ERROR(cm.ArchiveAuthority(c.p(), c.id()));
  return json{{"id", c.id()}, {"archived", true}};
}

// POST /approvals/{id}/approve|reject|comment {comment?, to?, version?} and /recall {comment?}.
org::ApprovalAction ActionOf(const json& body, std::initializer_list<const char*> allowed) {
  org::ApprovalAction a;
  a.problem = domain::CheckObject(body, allowed);
  a.comment = TextMember(body, "comment", "");
  a.to = TextMember(body, "to", "");
  if (body.is_object() && body.contains("version")) a.version = body["version"].is_number_integer() ? body["version"].get<int64_t>() : -1;
  return a;
}

// POST /grants {grantee_id, ends_at, grantor_id?, unit_id?, starts_at?, reason?}. A grantor_id
// that is not an id names nobody (-1): refused as on someone's behalf, or as no such user.
Result<org::GrantCommand> GrantFromJson(const json& body) {
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"grantee_id", "grantor_id", "unit_id", "starts_at", "ends_at", "reason"}));
  org::GrantCommand c;
  if (body.contains("grantor_id")) c.grantor_id = body["grantor_id"].is_number_integer() ? body["grantor_id"].get<int64_t>() : -1;
  if (!body.contains("grantee_id") || !body["grantee_id"].is_number_integer()) {
    return Status::Invalid("validation.required", "grantee_id is required", "grantee_id 为必填项", "grantee_id");
  }
  c.grantee_id = body["grantee_id"].get<int64_t>();
  if (body.contains("starts_at")) {
    auto t = body["starts_at"].is_string() ? ParseTimestamp(body["starts_at"].get<std::string>()) : Result<TimeMs>(Status::Internal(""));
    if (!t.ok()) return Status::Invalid("validation.type", "starts_at is an ISO-8601 time with a zone", "starts_at 应为带时区的 ISO-8601 时间", "starts_at");
    c.starts_at = *t;
  }
  auto e = body.contains("ends_at") && body["ends_at"].is_string() ? ParseTimestamp(body["ends_at"].get<std::string>()) : Result<TimeMs>(Status::Internal(""));
  if (!e.ok()) return Status::Invalid("validation.required", "ends_at (an ISO-8601 time with a zone) is required: a grant ends by itself",
                                      "ends_at 为必填项（带时区的 ISO-8601 时间）：委托须自动到期", "ends_at");
  c.ends_at = *e;
  auto reason = body.find("reason");
  if (reason != body.end() && !reason->is_null()) {
    if (!reason->is_string()) return Status::Invalid("validation.type", "reason is a text of at most 500 bytes", "reason 应为不超过 500 字节的文本", "reason");
    c.reason = reason->get<std::string>();
  }
  if (body.contains("unit_id") && !body["unit_id"].is_null()) {
    if (!body["unit_id"].is_number_integer()) return Status::Invalid("validation.type", "unit_id is a unit id", "unit_id 应为单元 ID", "unit_id");
    c.unit_id = body["unit_id"].get<int64_t>();
  }
  return c;
}

// A grant as POST /grants answers it.
json CreatedGrantJson(const org::GrantView& g) {
  return {{"id", g.id}, {"grantor_id", g.grantor_id}, {"grantee_id", g.grantee_id}, {"kind", g.kind}, {"unit_id", OrNull(g.unit_id)},
          {"starts_at", g.starts_at}, {"ends_at", g.ends_at}, {"reason", g.reason}};
}

// A grant as GET /grants lists it.
json GrantJson(const org::GrantView& g) {
  return {{"id", g.id}, {"grantor_id", g.grantor_id}, {"grantee_id", g.grantee_id}, {"kind", g.kind}, {"unit_id", OrNull(g.unit_id)},
          {"starts_at", g.starts_at}, {"ends_at", g.ends_at}, {"reason", g.reason}, {"revoked_at", OrNull(g.revoked_at)},
          {"created_by", OrNull(g.created_by)}, {"active", g.active}};
}

Result<json> CreateGrant(org::ApprovalEngine& ap, const Call& c) {
  auto cmd = GrantFromJson(c.body);
  // The service refuses read-only roles (403) before anything else, whatever the body says.
  if (!cmd.ok() && !domain::IsReadOnly(c.p().role)) return cmd.status();
  KEEL_ASSIGN_OR_RETURN(org::GrantView g, ap.CreateGrant(c.p(), cmd.ok() ? *cmd : org::GrantCommand{}));
  return CreatedGrantJson(g);
}

Result<json> ListGrants(org::ApprovalEngine& ap, const Call& c) {
  KEEL_ASSIGN_OR_RETURN(std::vector<org::GrantView> grants, ap.Grants(c.p()));
  json items = json::array();
  for (const auto& g : grants) items.push_back(GrantJson(g));
  return json{{"items", items}};
}

Result<json> RevokeGrant(org::ApprovalEngine& ap, const Call& c) {
  KEEL_RETURN_IF_ERROR(ap.RevokeGrant(c.p(), c.id()));
  return json{{"id", c.id()}, {"revoked", true}};
}

}  // namespace

void Api::AddOrgRoutes() {
  // The units' routes come with both services (runtime's OrgParts sets them together).
  org::ApprovalEngine* ap = services_.approvals;
  org::Commerce* cm = services_.commerce;
  if (ap == nullptr || cm == nullptr) return;
  json approvers = {{"type", "object"}, {"minProperties", 1}, {"maxProperties", 1},
                    {"description", "exactly one of: {unit_lead: true}, {role: …}, {manager: true}, {users: [ids]}"},
                    {"properties", {{"unit_lead", {{"type", "boolean"}}}, {"role", {{"type", "string"}}}, {"manager", {{"type", "boolean"}}},
                                    {"users", {{"type", "array"}, {"minItems", 1}, {"items", {{"type", "integer"}}}}}}}};
  json step = {{"type", "object"}, {"required", {"approvers"}}, {"additionalProperties", false},
               {"properties", {{"name", {{"type", "string"}}}, {"title_zh", {{"type", "string"}}}, {"title_en", {{"type", "string"}}},
                               {"approvers", approvers}, {"mode", {{"type", "string"}, {"enum", {"first", "all", "quorum"}}, {"default", "first"}}},
                               {"quorum", {{"type", "integer"}, {"minimum", 1}, {"description", "with mode quorum"}}},
                               {"when", {{"type", "string"}, {"description", "a formula over the record: the step applies when it holds"}}},
                               {"timeout", {{"type", "string"}, {"description", "a duration like 30m, 48h, 2d"}}},
                               {"escalate_to", approvers},
                               {"on_reject", {{"type", "string"}, {"enum", {"reject", "back"}}, {"default", "reject"}}}}}};
  json def = {{"type", "object"}, {"required", {"name", "object", "steps"}}, {"additionalProperties", false},
              {"description", "A workflow definition, as JSON or YAML"},
              {"properties",
               {{"name", {{"type", "string"}, {"pattern", "^[a-z][a-z0-9_]{0,59}$"}}},
                {"object", {{"type", "string"}, {"enum", {"quotes", "contracts", "expenses", "budget_transfers", "price_changes", "opportunities",
                                                          "orders", "customers", "leads", "activities", "feedback"}}}},
                {"title_zh", {{"type", "string"}}}, {"title_en", {{"type", "string"}}},
                {"entry", {{"type", "string"}, {"description", "a formula: the workflow starts only when it holds"}}},
                {"trigger", {{"type", {"object", "null"}}, {"description", "{on: [create, update], fields: [...]}: start by itself"},
                             {"properties", {{"on", {{"type", "array"}, {"items", {{"type", "string"}, {"enum", {"create", "update"}}}}}},
                                             {"fields", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}}},
                {"steps", {{"type", "array"}, {"minItems", 1}, {"maxItems", 10}, {"items", step}}}}}};
  using namespace schema;  // NOLINT(google-build-using-namespace): the builders read as the schema
  json saved_def = def;  // as stored: the definition with its version
  saved_def.erase("additionalProperties");
  saved_def["description"] = "A workflow definition as stored, with its version / 审批流程定义（含版本）";
  saved_def["properties"]["version"] = Int();
  saved_def["properties"]["status"] = Str("active or superseded");
  saved_def["properties"]["created_at"] = Time();
  saved_def["required"].push_back("version");
  const json definition = Component("ApprovalDefinition", saved_def);
  const json versions = Obj({{"name", Str()},
                             {"versions", Arr(Obj({{"version", Int()}, {"status", Str("active or superseded")}, {"created_at", Time()},
                                                   {"definition", definition}},
                                                  {"version", "status", "created_at", "definition"}),
                                              "newest first")}},
                            {"name", "versions"}, "A workflow's versions / 审批流程的各版本");
  const json request = SchemaRef("ApprovalRequest");
  const json submitted = {{"anyOf", {request, SchemaRef("ApprovalNotNeeded")}}};
  const json inbox_item = Obj(
      {{"request_id", Int()}, {"task_id", Int("pending: the task waiting for you")}, {"step", Int()},
       {"on_behalf_of", Null(Int("pending: the approver you act for by delegation"))}, {"due_at", Null(Time())}, {"overdue", Bool()},
       {"definition", Str()}, {"object", Str()}, {"record_id", Int()}, {"submitter_id", Null(Int())},
       {"summary", Free("the record's headline fields: code, name, total, discount_pct, max_discount_pct, title, amount, …")},
       {"submitted_at", Time()}, {"version", Int()}, {"status", Str("decided/submitted: the request's status")},
       {"decided_at", Null(Time())}, {"my_decision", Null(Str("decided: approved or rejected"))}, {"my_decision_at", Null(Time())}},
      {"request_id", "definition", "object", "record_id", "submitter_id", "summary", "submitted_at", "version"},
      "An approval in my inbox / 我的审批");
  const json grant_out = Component(
      "DelegationGrant",
      Obj({{"id", Int()}, {"kind", Str("approvals")}, {"grantor_id", Int("whose approvals")}, {"grantee_id", Int("who may act on them")},
           {"unit_id", Null(Int("limited to this unit subtree"))}, {"starts_at", Time()}, {"ends_at", Time()}, {"reason", Null(Str())},
           {"created_by", Int()}, {"revoked_at", Null(Time())}, {"active", Bool("in force now")}},
          {"id", "kind", "grantor_id", "grantee_id", "unit_id", "starts_at", "ends_at"}, "A delegation of approvals / 审批委托"));
  const json revoked = Obj({{"id", Int()}, {"revoked", Bool()}}, {"id", "revoked"});
  const json authority_out = Component(
      "PricingAuthority",
      Obj({{"id", Int()}, {"unit_id", Int()}, {"unit", Str("the unit's name (lists)")}, {"role", Null(Str("null: every role"))},
           {"category_prefix", Null(Str("null: every category"))}, {"min_amount", Num("yuan: applies to deals at least this big")},
           {"max_discount_pct", Num()}},
          {"id", "unit_id", "role", "category_prefix", "min_amount", "max_discount_pct"}, "A pricing authority rule / 定价权限规则"));
  const json quote_check = Component(
      "QuoteAuthorityCheck",
      Obj({{"quote_id", Int()}, {"role", Str("the owner's role")}, {"within_authority", Bool()},
           {"lines", Arr(Obj({{"line_no", Int()}, {"product_id", Int()}, {"category", Null(Str())}, {"discount_pct", Num()},
                              {"max_discount_pct", Null(Num("the owner's limit; null: no rule applies"))}, {"rule_id", Null(Int())}, {"within", Bool()}},
                             {"line_no", "discount_pct", "within"}))}},
          {"quote_id", "within_authority", "lines"}, "A quote's lines against its owner's pricing authority / 报价单与定价权限的比对"));
  const json compliance = Obj({{"flags", Arr(Free("a checkpoint that flagged the record: event_id, checkpoint_id, name, message_zh, message_en"))},
                               {"overrides", Arr(Free("a blocking checkpoint overridden: … and reason, by, at"))}},
                              {}, "what the compliance checkpoints said");
  const json quote_submitted = Obj({{"status", Str("approved (within authority) or the quote's status while it waits")},
                                    {"within_authority", Bool()}, {"check", quote_check}, {"approval", submitted},
                                    {"quote", SchemaRef("Quote")}, {"compliance", compliance}},
                                   {"status", "within_authority", "check", "quote"}, "The submitted quote / 提交结果");
  const json ordered = Obj({{"order", SchemaRef("Order")}, {"quote", SchemaRef("Quote")}}, {"order", "quote"},
                           "The order made from the quote, and the quote (now accepted) / 生成的订单与已接受的报价单");
  const json signed_out = Obj({{"contract", SchemaRef("Contract")}, {"compliance", compliance}}, {"contract"}, "The signed contract / 已签署的合同");
  router_.Add("GET", "/api/v1/approval-definitions", [ap](Call& c) { return Wrap(Sent(ap->Definitions(c.p()))); },
              {"Active approval workflows", "启用中的审批流程", "approvals", nullptr, Items(definition)});
  router_.Add("POST", "/api/v1/approval-definitions", [ap](Call& c) { return Wrap(Sent(ap->SaveDefinition(c.p(), c.body)), 201); },
              Yaml({"Define or change a workflow (a new version; running requests keep theirs)", "定义或修改审批流程（生成新版本，进行中的审批沿用原版本）",
                    "approvals", def, definition, {}, 201}));
  router_.Add("GET", "/api/v1/approval-definitions/{name}", [ap](Call& c) { return Wrap(Sent(ap->Definition(c.p(), c.name()))); },
              {"A workflow's versions", "审批流程的各版本", "approvals", nullptr, versions});
  json submit = {{"type", "object"}, {"required", {"object", "record_id"}},
                 {"properties", {{"object", {{"type", "string"}}}, {"record_id", {{"type", "integer"}}}, {"definition", {{"type", "string"}}},
                                 {"comment", {{"type", "string"}}}}}};
  router_.Add("POST", "/api/v1/approvals", [ap](Call& c) { return Wrap(Sent(ap->Submit(c.p(), SubmitRequestOf(c.body))), 201); },
              {"Submit a record for approval", "提交记录审批", "approvals", submit, submitted, {}, 201});
  router_.Add("GET", "/api/v1/approvals/{id}", [ap](Call& c) { return Wrap(Sent(ap->Get(c.p(), c.id()))); },
              {"An approval request with its steps, tasks and log", "审批单：步骤、待办和审批记录", "approvals", nullptr, request});
  json act = {{"type", "object"},
              {"properties", {{"comment", {{"type", "string"}}}, {"to", {{"type", "string"}, {"enum", {"previous", "submitter"}}}},
                              {"version", {{"type", "integer"}, {"description", "the version you read; a different one is a 409"}}}}}};
  router_.Add("POST", "/api/v1/approvals/{id}/approve", [ap](Call& c) {
                return Wrap(Sent(ap->Act(c.p(), c.id(), "approve", ActionOf(Body(c), {"comment", "to", "version"}))));
              },
              {"Approve the current step (as an approver or their delegate)", "审批通过当前步骤（本人或受托人）", "approvals", act, request});
  router_.Add("POST", "/api/v1/approvals/{id}/reject", [ap](Call& c) {
                return Wrap(Sent(ap->Act(c.p(), c.id(), "reject", ActionOf(Body(c), {"comment", "to", "version"}))));
              },
              {"Reject (with a comment): outright, or back to the previous step", "驳回（须填写原因）：直接驳回或退回上一步", "approvals", act, request});
  router_.Add("POST", "/api/v1/approvals/{id}/comment", [ap](Call& c) {
                return Wrap(Sent(ap->Act(c.p(), c.id(), "comment", ActionOf(Body(c), {"comment", "to", "version"}))));
              },
              {"Comment on a request", "评论审批单", "approvals", act, request});
  router_.Add("POST", "/api/v1/approvals/{id}/recall", [ap](Call& c) { return Wrap(Sent(ap->Recall(c.p(), c.id(), ActionOf(Body(c), {"comment"})))); },
              {"Recall a pending request (the submitter)", "撤回审批（提交人）", "approvals", act, request});
  router_.Add("GET", "/api/v1/me/approvals", [ap](Call& c) -> Result<Reply> {
    std::string status = Query(c, "status");
    std::string l = Query(c, "limit");
    int limit = 100;
    if (!l.empty()) {
      char* end = nullptr;
      long v = std::strtol(l.c_str(), &end, 10);
      if (*end || v < 1 || v > 500) return Status::Invalid("validation.range", "limit is 1-500", "limit 须为 1-500", "limit");
      limit = static_cast<int>(v);
    }
    return Wrap(Sent(ap->Inbox(c.p(), status.empty() ? "pending" : status, limit)));
  }, {"My approvals: what waits for me (including what was delegated to me), what I decided, or what I submitted",
      "我的审批：待我审批（含他人委托给我的）、我已审批、我提交的", "approvals", nullptr, Items(inbox_item),
      {{"status", "pending (default), decided or submitted"}, {"limit", "decided/submitted: 1-500, default 100"}}});
  json grant = {{"type", "object"}, {"required", {"grantee_id", "ends_at"}},
                {"properties", {{"grantee_id", {{"type", "integer"}}}, {"grantor_id", {{"type", "integer"}, {"description", "default: you; someone else: admin only, and they are notified"}}},
                                {"unit_id", {{"type", "integer"}, {"description", "limit to a unit subtree"}}},
                                {"starts_at", {{"type", "string"}}}, {"ends_at", {{"type", "string"}}}, {"reason", {{"type", "string"}}}}}};
  router_.Add("POST", "/api/v1/grants", [ap](Call& c) { return Wrap(CreateGrant(*ap, c), 201); },
              {"Delegate your approvals to someone until a time (e.g. while on leave)", "将审批权委托他人至指定时间（如休假期间）", "approvals",
               grant, grant_out, {}, 201});
  router_.Add("GET", "/api/v1/grants", [ap](Call& c) { return Wrap(ListGrants(*ap, c)); },
              {"Delegation grants (mine, or all for HQ)", "委托记录（本人的；总部可见全部）", "approvals", nullptr, Items(grant_out)});
  router_.Add("DELETE", "/api/v1/grants/{id}", [ap](Call& c) { return Wrap(RevokeGrant(*ap, c)); },
              {"Revoke a grant", "撤销委托", "approvals", nullptr, revoked});
  json authority = {{"type", "object"}, {"required", {"unit_id", "max_discount_pct"}},
                    {"properties", {{"unit_id", {{"type", "integer"}}}, {"role", {{"type", "string"}}}, {"category_prefix", {{"type", "string"}}},
                                    {"min_amount", {{"type", "number"}}}, {"max_discount_pct", {{"type", "number"}}}}}};
  router_.Add("GET", "/api/v1/pricing-authority", [cm](Call& c) { return Wrap(Sent(cm->Authorities(c.p()))); },
              {"Pricing authority rules", "定价权限规则", "approvals", nullptr, Items(authority_out)});
  router_.Add("POST", "/api/v1/pricing-authority", [cm](Call& c) { return Wrap(Sent(cm->SaveAuthority(c.p(), AuthorityDraftOf(c.body))), 201); },
              {"Set the largest discount a role in a unit may give, by category and deal size (HQ)",
               "设置单元内某角色按品类和金额可给的最大折扣（总部）", "approvals", authority, authority_out, {}, 201});
  router_.Add("DELETE", "/api/v1/pricing-authority/{id}", [cm](Call& c) { return Wrap(ArchiveAuthority(*cm, c)); },
              {"Remove a pricing authority rule", "删除定价权限规则", "approvals", nullptr, SchemaRef("Archived")});
  router_.Add("GET", "/api/v1/quotes/{id}/authority", [cm](Call& c) { return Wrap(Sent(cm->CheckQuote(c.p(), c.id()))); },
              {"The quote's lines against its owner's pricing authority", "报价单各行与负责人定价权限的比对", "approvals", nullptr, quote_check});
  if (org::BudgetService* b = services_.budgets) {
    auto allocation = [](const json& body) {
      return org::BudgetAllocation{.unit_id = Integer(body, "unit_id"), .category = Text(body, "category"), .period = Text(body, "period"),
                                   .amount = Number(body, "amount"),
                                   .problem = domain::CheckObject(body, {"unit_id", "category", "period", "amount"})};
    };
    auto move_of = [](const json& body) {
      return org::BudgetMove{.amount = Number(body, "amount"), .note = Text(body, "note"), .source_object = TextIfAny(body, "source_object"),
                             .source_id = Integer(body, "source_id"),
                             .problem = domain::CheckObject(body, {"amount", "note", "source_object", "source_id"})};
    };
    const json budget_out = SchemaRef("Budget");
    json budget = {{"type", "object"}, {"required", {"unit_id", "category", "period", "amount"}},
                   {"properties", {{"unit_id", {{"type", "integer"}}},
                                   {"category", {{"type", "string"}, {"enum", org::kBudgetCategories}}},
                                   {"period", {{"type", "string"}, {"description", "2026-11, 2026-Q4 or 2026"}}},
                                   {"amount", {{"type", "number"}, {"description", "yuan"}}}}}};
    json move = {{"type", "object"}, {"required", {"amount"}},
                 {"properties", {{"amount", {{"type", "number"}}}, {"note", {{"type", "string"}}}, {"source_object", {{"type", "string"}}},
                                 {"source_id", {{"type", "integer"}}}}}};
    router_.Add("GET", "/api/v1/budgets", [b](Call& c) { return Wrap(Sent(b->List(c.p(), c.req.query))); },
                {"Budgets of the units you can see, with what is committed and left", "可见单元的预算：已占用与剩余", "budgets", nullptr, Items(budget_out),
                 {{"unit_id", "a unit"}, {"period", "2026-11, 2026-Q4, 2026"}, {"category", "marketing, travel, …"}}});
    router_.Add("POST", "/api/v1/budgets", [b, allocation](Call& c) { return Wrap(Sent(b->Set(c.p(), allocation(c.body))), 201); },
                {"Allocate (or change) a unit's budget for a category and period (HQ)", "分配或调整单元某类别某期间的预算（总部）", "budgets",
                 budget, budget_out, {}, 201});
    router_.Add("GET", "/api/v1/budgets/{id}", [b](Call& c) { return Wrap(Sent(b->Get(c.p(), c.id()))); },
                {"A budget with its entries", "预算及其流水", "budgets", nullptr, budget_out});
    router_.Add("POST", "/api/v1/budgets/{id}/spend", [b, move_of](Call& c) { return Wrap(Sent(b->Spend(c.p(), c.id(), move_of(c.body)))); },
                {"Commit spending against the budget (409 budget.exceeded when it would overspend)", "占用预算（超出时返回 409 budget.exceeded）",
                 "budgets", move, budget_out});
    router_.Add("POST", "/api/v1/budgets/{id}/release", [b, move_of](Call& c) { return Wrap(Sent(b->Release(c.p(), c.id(), move_of(c.body)))); },
                {"Give committed money back to the budget", "释放已占用的预算", "budgets", move, budget_out});
  }
  json sq = {{"type", "object"},
             {"properties", {{"comment", {{"type", "string"}}},
                             {"override_reason", {{"type", "string"}, {"description", "unit leads and HQ: why a blocking compliance checkpoint is overridden (≥ 5 characters)"}}}}}};
  router_.Add("POST", "/api/v1/quotes/{id}/submit", [cm](Call& c) { return Wrap(Sent(cm->SubmitQuote(c.p(), c.id(), QuoteSubmitOf(Body(c))))); },
              {"Submit a quote: approved within authority, else routed to approval", "提交报价：权限内直接批准，超出权限自动进入审批",
               "approvals", sq, quote_submitted});
  json to_order = {{"type", "object"},
                   {"properties", {{"channel", {{"type", "string"}, {"enum", {"store", "online", "b2b", "wechat", "livestream"}}}},
                                   {"ordered_at", {{"type", "string"}, {"format", "date-time"}}}}}};
  router_.Add("POST", "/api/v1/quotes/{id}/order", [cm](Call& c) { return Wrap(Sent(cm->OrderFromQuote(c.p(), c.id(), QuoteToOrderOf(Body(c)))), 201); },
              {"Turn an approved, sent or accepted quote into an order (once); the quote becomes accepted",
               "将已批准/已发送/已接受的报价单转成订单（仅一次），报价单随之变为已接受", "approvals", to_order, ordered, {}, 201});
  json sign = {{"type", "object"},
               {"properties", {{"legal_reviewed", {{"type", "boolean"}}},
                               {"override_reason", {{"type", "string"}, {"description", "unit leads and HQ: why a blocking compliance checkpoint is overridden"}}}}}};
  router_.Add("POST", "/api/v1/contracts/{id}/sign", [cm](Call& c) { return Wrap(Sent(cm->SignContract(c.p(), c.id(), ContractSignOf(Body(c))))); },
              {"Sign an approved contract: legal review required, compliance checkpoints first", "签署已批准的合同：须经法务审核，先做合规检查",
               "approvals", sign, signed_out});
}

}  // namespace keel::http
