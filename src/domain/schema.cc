#include "domain/schema.h"
#include "domain/rules/family.h"

#include <algorithm>

#include "domain/custom_fields.h"

namespace keel::domain {
namespace {

FieldDef F(std::string name, FieldType type) {
  FieldDef f;
  f.name = std::move(name);
  f.type = type;
  return f;
}
FieldDef Str(std::string name, int len = 200) { return F(std::move(name), FieldType::kString).Len(len); }
FieldDef Text(std::string name) { return F(std::move(name), FieldType::kText).Len(20000); }
FieldDef Ref(std::string name, std::string target) {
  FieldDef f = F(std::move(name), FieldType::kRef);
  f.ref = std::move(target);
  f.filter = true;
  return f;
}
FieldDef Enum(std::string name, std::vector<std::string> values) {
  FieldDef f = F(std::move(name), FieldType::kEnum);
  f.values = std::move(values);
  f.filter = true;
  return f;
}
FieldDef Money(std::string name) { return F(std::move(name), FieldType::kMoney).Range(0, 1e12); }
FieldDef Time(std::string name) { return F(std::move(name), FieldType::kTimestamp); }
FieldDef Geo(std::string name, double lim) { return F(std::move(name), FieldType::kNumber).Range(-lim, lim); }

const std::vector<Role> kAdminOnly = {Role::kAdmin};
const std::vector<Role> kHq = {Role::kAdmin, Role::kHqOps};
const std::vector<Role> kLeads = {Role::kAdmin, Role::kHqOps, Role::kUnitLead};
const std::vector<Role> kSellers = {Role::kAdmin, Role::kHqOps, Role::kUnitLead,
                                    Role::kSupervisor, Role::kRep};

// owner_id and unit_id of an owned record: default to the caller and the caller's unit.
void AddOwnership(std::vector<FieldDef>& fields) {
  fields.push_back(Ref("owner_id", "users").Sort().Doc(
      "Owning user; defaults to the caller", "负责人；默认为当前用户"));
  fields.push_back(Ref("unit_id", "units").Doc(
      "Owning unit; defaults to the owner's unit", "所属单元；默认为负责人的单元"));
}

// The tenant's own fields of a record (validated against its custom_fields definitions).
void AddCustom(std::vector<FieldDef>& fields) {
  FieldDef f;
  f.name = "custom";
  f.type = FieldType::kJson;
  fields.push_back(f.Doc("The tenant's custom fields {name: value}, as defined under /custom-fields; an update "
                         "merges key by key and null removes a key",
                         "租户自定义字段 {名称: 值}（定义见 /custom-fields）；更新时按键合并，null 删除该键"));
}

std::vector<EntityDef> Build() {
  std::vector<EntityDef> all;

  {
    EntityDef e{"units", "unit", "组织单元", "unit", Scope::kTenant};
    e.writers = kHq;
    e.default_sort = "id";
    e.fields = {
        Str("code", 64).Req().Unique().Sort().Search().Doc("Unique unit code", "单元编码（唯一）"),
        Str("name").Req().Sort().Search().Doc("Name", "名称"),
        Str("name_en").Search().Doc("English name", "英文名称"),
        Enum("kind", {"hq", "region", "unit", "store"}).Req().Doc(
            "Level in the tree: hq ▸ region ▸ unit ▸ store", "层级：总部 ▸ 大区 ▸ 战队 ▸ 门店"),
        Ref("parent_id", "units").Doc("Parent unit (absent only for the HQ root)",
                                      "上级单元（仅总部为空）"),
        Str("path", 400).Computed().Doc("Materialised path of ids, e.g. /1000/1003/",
                                        "路径（由系统维护）"),
        Ref("lead_user_id", "users").Doc("Unit lead", "负责人"),
        Str("city", 64).Filter().Doc("City", "城市"),
    };
    all.push_back(e);
  }
  {
    EntityDef e{"users", "user", "用户", "user", Scope::kTenant};
    e.writers = kAdminOnly;
    e.default_sort = "id";
    e.fields = {
        Str("username", 64).Req().Unique().Sort().Search().Immutable().Doc(
            "Login name, unique in the tenant", "登录名（租户内唯一）"),
        Str("display_name", 100).Req().Sort().Search().Doc("Display name", "显示名"),
        Str("email", 200).Search().Doc("Email", "邮箱"),
        Str("phone", 32).Doc("Phone", "电话"),
        Enum("role", {"admin", "hq_ops", "unit_lead", "supervisor", "rep", "analyst", "auditor"})
            .Req().Doc("Role", "角色"),
        Ref("unit_id", "units").Req().Doc("Home unit", "所属单元"),
        Ref("supervisor_id", "users").Doc("Direct supervisor", "直属主管"),
        Enum("locale", {"zh-CN", "en"}).Default("zh-CN").Doc("Language", "语言"),
        Enum("status", {"active", "disabled"}).Default("active").Doc("Status", "状态"),
        F("password", FieldType::kPassword).Len(200).Hidden().Doc(
            "Password (write-only, min 10 characters)", "密码（只写，至少 10 位）"),
        Time("last_login_at").Computed().Doc("Last login", "最近登录"),
    };
    all.push_back(e);
  }
  {
    EntityDef e{"stores", "store", "门店", "store", Scope::kUnit};
    e.writers = kHq;
    e.fields = {
        Str("code", 64).Req().Unique().Sort().Search().Doc("Store code", "门店编码"),
        Str("name").Req().Sort().Search().Doc("Name", "名称"),
        Ref("unit_id", "units").Req().Doc("The store's node in the unit tree", "门店对应的组织单元"),
        Str("city", 64).Filter().Doc("City", "城市"),
        Str("address", 300).Doc("Address", "地址"),
        Geo("lat", 90).Doc("Latitude", "纬度"),
        Geo("lng", 180).Doc("Longitude", "经度"),
        F("opened_on", FieldType::kDate).Doc("Opening date", "开业日期"),
        Enum("status", {"open", "closed", "renovating"}).Default("open").Doc("Status", "状态"),
        Ref("manager_id", "users").Doc("Store manager", "店长"),
    };
    all.push_back(e);
  }
  {
    EntityDef e{"customers", "customer", "客户", "customer", Scope::kOwned};
    e.writers = kSellers;
    e.fields = {
        Str("code", 64).Req().Unique().Sort().Search().Doc(
            "Master-data code, unique in the tenant", "客户主数据编码（租户内唯一）"),
        Str("name").Req().Sort().Search().Doc("Name", "名称"),
        Enum("kind", {"b2b", "retail"}).Req().Doc("B2B account or retail member", "企业客户或零售客户"),
        Enum("segment", {"key_account", "enterprise", "smb", "dealer", "retail", "vip"})
            .Doc("Segment", "客户分层"),
        Str("industry", 64).Filter().Doc("Industry", "行业"),
        Str("region", 32).Filter().Doc("Sales region", "大区"),
        Str("province", 32).Filter().Doc("Province", "省份"),
        Str("city", 64).Filter().Doc("City", "城市"),
        Str("address", 300).Doc("Address", "地址"),
        Geo("lat", 90).Doc("Latitude", "纬度"),
        Geo("lng", 180).Doc("Longitude", "经度"),
        Str("phone", 32).Search().Doc("Phone", "电话"),
        Str("email").Doc("Email", "邮箱"),
        Str("source", 32).Filter().Doc("Acquisition source", "来源"),
    };
    AddOwnership(e.fields);
    AddCustom(e.fields);
    all.push_back(e);
  }
  {
    EntityDef e{"contacts", "contact", "联系人", "contact", Scope::kOwned};
    e.writers = kSellers;
    e.fields = {
        Ref("customer_id", "customers").Req().Doc("Customer", "所属客户"),
        Str("name", 100).Req().Sort().Search().Doc("Name", "姓名"),
        Str("title", 100).Doc("Job title", "职务"),
        Str("phone", 32).Search().Doc("Phone", "电话"),
        Str("email").Doc("Email", "邮箱"),
        Str("wechat", 64).Doc("WeChat id", "微信号"),
        F("is_primary", FieldType::kBool).Filter().Doc("Primary contact", "主要联系人"),
    };
    AddOwnership(e.fields);
    AddCustom(e.fields);
    all.push_back(e);
  }
  {
    EntityDef e{"leads", "lead", "线索", "lead", Scope::kOwned};
    e.writers = kSellers;
    e.fields = {
        Str("title").Req().Search().Doc("What the lead is about", "线索标题"),
        Str("contact_name", 100).Search().Doc("Contact person", "联系人"),
        Str("company").Search().Doc("Company", "公司"),
        Str("phone", 32).Search().Doc("Phone", "电话"),
        Str("email").Doc("Email", "邮箱"),
        Enum("source", {"website", "exhibition", "referral", "hotline", "wechat", "partner",
                        "advertising", "store_walk_in", "tender"})
            .Req().Doc("Source", "来源"),
        Enum("channel", {"online", "offline", "partner"}).Req().Doc("Channel", "渠道"),
        Enum("status", {"new", "working", "qualified", "converted", "disqualified"})
            .Default("new").Doc("new → working → qualified → converted / disqualified; "
                                "conversion goes through POST /leads/{id}/convert",
                                "状态流：新建 → 跟进中 → 已确认 → 已转化/无效；转化请用转化接口"),
        F("score", FieldType::kNumber).Range(0, 100).Computed().Sort().Doc(
            "AI conversion score 0-100", "AI 转化评分 0-100"),
        Str("region", 32).Filter().Doc("Region", "大区"),
        Str("city", 64).Filter().Doc("City", "城市"),
        Text("notes").Doc("Notes", "备注"),
        Ref("customer_id", "customers").Doc("Matched or created customer", "关联客户"),
        Ref("opportunity_id", "opportunities").Computed().Doc("Opportunity created on conversion",
                                                             "转化生成的商机"),
        Time("first_response_at").Sort().Doc("First response by the owner", "首次响应时间"),
        Time("converted_at").Computed().Doc("Conversion time", "转化时间"),
        Str("disqualify_reason").Doc("Why it was disqualified", "无效原因"),
    };
    AddOwnership(e.fields);
    AddCustom(e.fields);
    all.push_back(e);
  }
  {
    EntityDef e{"opportunities", "opportunity", "商机", "opportunity", Scope::kOwned};
    e.writers = kSellers;
    e.fields = {
        Str("name").Req().Sort().Search().Doc("Deal name", "商机名称"),
        Ref("customer_id", "customers").Req().Doc("Customer", "客户"),
        Ref("contact_id", "contacts").Doc("Main contact", "联系人"),
        Ref("lead_id", "leads").Computed().Doc("Originating lead", "来源线索"),
        Enum("stage", {"prospecting", "qualification", "proposal", "negotiation", "won", "lost"})
            .Default("prospecting").Doc(
                "Stage; forward moves, one step back, lost from any open stage, won from "
                "proposal or negotiation; won/lost are final",
                "阶段：可前进、可后退一步、任一未结阶段可输单、方案或谈判阶段可赢单；赢单/输单为终态"),
        Money("amount").Req().Sort().Doc("Deal amount", "金额"),
        F("discount_pct", FieldType::kNumber).Range(0, 100).Filter().Doc(
            "Discount offered on the deal, % of list (0-100)", "本单折扣率，占标价的百分比（0-100）"),
        F("currency", FieldType::kCurrency).Doc("ISO-4217 currency; defaults to the tenant's",
                                                "币种（ISO-4217），默认租户币种"),
        F("expected_close", FieldType::kDate).Sort().Doc("Expected close date", "预计成交日期"),
        F("win_probability", FieldType::kNumber).Range(0, 1).Computed().Sort().Doc(
            "AI win probability", "AI 赢单概率"),
        Enum("outcome", {"open", "won", "lost"}).Computed().Doc("Outcome (from the stage)",
                                                                "结果（由阶段决定）"),
        Str("loss_reason").Doc("Required when the stage moves to lost", "输单原因（输单时必填）"),
        Time("closed_at").Computed().Sort().Doc("When it was won or lost", "结单时间"),
        F("product_category", FieldType::kCategory).Filter().Doc("Main product category",
                                                                  "主要产品品类"),
        Str("source", 32).Filter().Doc("Source", "来源"),
    };
    AddOwnership(e.fields);
    AddCustom(e.fields);
    all.push_back(e);
  }
  {
    EntityDef e{"activities", "activity", "活动", "activity", Scope::kOwned};
    e.writers = kSellers;
    e.batch = true;
    e.audited_create = false;
    e.indexed_search = false;
    e.default_sort = "-occurred_at";
    e.fields = {
        Enum("kind", {"visit", "call", "meeting", "email", "demo", "proposal"}).Req().Doc(
            "Kind", "类型：拜访/电话/会议/邮件/演示/方案"),
        Str("subject").Search().Doc("Subject", "主题"),
        Text("notes").Search().Doc("Notes (Chinese or English)", "纪要（中英文）"),
        Time("occurred_at").Req().Sort().Doc("When it happened (with zone)", "发生时间（带时区）"),
        F("duration_min", FieldType::kInt).Range(0, 1440).Filter().Doc("Duration in minutes",
                                                                       "时长（分钟）"),
        Enum("outcome", {"completed", "connected", "no_answer", "positive", "neutral",
                         "negative", "rescheduled"})
            .Doc("Outcome", "结果"),
        Ref("customer_id", "customers").Doc("Customer", "客户"),
        Ref("contact_id", "contacts").Doc("Contact", "联系人"),
        Ref("lead_id", "leads").Doc("Lead", "线索"),
        Ref("opportunity_id", "opportunities").Doc("Opportunity", "商机"),
        Ref("store_id", "stores").Doc("Store", "门店"),
        Geo("lat", 90).Doc("Check-in latitude", "签到纬度"),
        Geo("lng", 180).Doc("Check-in longitude", "签到经度"),
    };
    AddOwnership(e.fields);
    AddCustom(e.fields);
    all.push_back(e);
  }
  {
    EntityDef e{"products", "product", "产品", "product", Scope::kTenant};
    e.writers = kHq;
    e.fields = {
        Str("sku", 64).Req().Unique().Sort().Search().Doc("SKU, unique in the tenant", "SKU（唯一）"),
        Str("name").Req().Sort().Search().Doc("Name", "名称"),
        Str("name_en").Search().Doc("English name", "英文名称"),
        F("category_path", FieldType::kCategory).Req().Filter().Doc(
            "Category path such as 家电/空调/挂机", "品类路径，如 家电/空调/挂机"),
        Str("brand", 64).Filter().Doc("Brand", "品牌"),
        F("energy_class", FieldType::kInt).Range(1, 5).Filter().Doc(
            "China energy label class 1 (best) – 5", "能效等级 1（最优）- 5"),
        Money("price").Req().Sort().Doc("List price", "标价"),
        Money("cost").Doc("Unit cost", "成本"),
        F("currency", FieldType::kCurrency).Doc("Currency; defaults to the tenant's", "币种"),
        Enum("status", {"active", "discontinued"}).Default("active").Doc("Status", "状态"),
        F("attributes", FieldType::kJson).Doc("Free attributes (capacity, HP …)", "其他属性"),
    };
    all.push_back(e);
  }
  {
    EntityDef e{"members", "member", "会员", "member", Scope::kUnit};
    e.writers = kSellers;
    e.fields = {
        Str("card_no", 64).Req().Unique().Sort().Search().Doc("Membership card number", "会员卡号"),
        Ref("customer_id", "customers").Req().Doc("The retail customer", "对应客户"),
        Ref("store_id", "stores").Doc("Home store", "开卡门店"),
        Ref("unit_id", "units").Doc("Unit; defaults to the store's unit", "所属单元（默认门店单元）"),
        Enum("level", {"normal", "silver", "gold", "diamond"}).Default("normal").Doc(
            "Level", "等级：普通/银卡/金卡/钻石"),
        F("points", FieldType::kInt).Range(0, 1e9).Sort().Doc("Points", "积分"),
        Time("joined_at").Req().Sort().Doc("Joined", "入会时间"),
    };
    all.push_back(e);
  }
  {
    EntityDef e{"promotions", "promotion", "促销", "promotion", Scope::kTenant};
    e.writers = kHq;
    e.fields = {
        Str("code", 64).Req().Unique().Sort().Search().Doc("Code", "编码"),
        Str("name").Req().Search().Doc("Name", "名称"),
        Enum("kind", {"discount", "gift", "bundle", "cashback", "trade_in"}).Req().Doc(
            "Kind", "类型：折扣/赠品/套购/返现/以旧换新"),
        F("discount_pct", FieldType::kNumber).Range(0, 100).Doc("Discount percent", "折扣百分比"),
        F("category_path", FieldType::kCategory).Filter().Doc("Applies to this category",
                                                              "适用品类"),
        Ref("unit_id", "units").Doc("Applies to this unit subtree (absent: all)",
                                    "适用单元（为空则全部）"),
        Time("starts_at").Req().Sort().Doc("Start", "开始时间"),
        Time("ends_at").Req().Sort().Doc("End", "结束时间"),
        Enum("status", {"draft", "active", "ended"}).Default("active").Doc("Status", "状态"),
    };
    all.push_back(e);
  }
  {
    EntityDef e{"orders", "order", "订单", "order", Scope::kOwned};
    e.writers = kSellers;
    e.batch = true;
    e.audited_create = false;
    e.indexed_search = false;
    e.default_sort = "-ordered_at";
    e.fields = {
        Str("code", 64).Req().Unique().Sort().Immutable().Search().Doc(
            "Order or POS receipt number, unique in the tenant", "订单号/小票号（唯一）"),
        Ref("store_id", "stores").Immutable().Doc("Store (POS orders)", "门店（POS 订单）"),
        Ref("customer_id", "customers").Doc("Customer", "客户"),
        Ref("member_id", "members").Doc("Member", "会员"),
        Ref("promotion_id", "promotions").Doc("Promotion applied", "参与促销"),
        Enum("channel", {"store", "online", "b2b", "wechat", "livestream"}).Req().Immutable().Doc(
            "Channel", "渠道：门店/线上/企业/微信/直播"),
        Enum("status", {"paid", "refunded", "cancelled"}).Default("paid").Doc("Status", "状态"),
        Ref("return_of", "orders").Immutable().Doc(
            "The paid order this return takes back (required when lines have negative qty; supervisors, unit leads and HQ only)",
            "退货对应的原订单（有负数量行时必填；仅主管、战队负责人、总部）"),
        Time("ordered_at").Req().Sort().Immutable().Doc("When (with zone)", "下单时间（带时区）"),
        F("currency", FieldType::kCurrency).Immutable().Doc("Currency", "币种"),
        Money("total").Computed().Sort().Doc("Sum of line amounts", "订单金额（行金额合计）"),
        Money("discount_total").Computed().Doc("Sum of line discounts", "折扣合计"),
        F("line_count", FieldType::kInt).Computed().Doc("Number of lines", "行数"),
    };
    AddOwnership(e.fields);
    ChildDef lines;
    lines.name = "lines";
    lines.table = "order_lines";
    lines.parent_key = "order_id";
    lines.fields = {
        Ref("product_id", "products").Req().Doc("Product", "产品"),
        F("qty", FieldType::kInt).Req().Range(-100000, 100000).Doc(
            "Quantity (negative for returns)", "数量（退货为负）"),
        Money("unit_price").Req().Doc("Unit price", "单价"),
        Money("discount").Doc("Discount on the line", "行折扣"),
        Money("amount").Computed().Doc("qty × unit_price − discount", "行金额"),
    };
    e.child = lines;
    all.push_back(e);
  }
  {
    EntityDef e{"quotes", "quote", "报价单", "quote", Scope::kOwned};
    e.writers = kSellers;
    e.indexed_search = false;  // searched with LIKE until the substring index covers quotes
    e.default_sort = "-id";
    e.fields = {
        Str("code", 64).Req().Unique().Sort().Immutable().Search().Doc("Quote number, unique in the tenant", "报价单号（唯一）"),
        Str("name").Search().Doc("What is quoted", "报价名称"),
        Ref("customer_id", "customers").Req().Immutable().Doc("Customer", "客户"),
        Ref("opportunity_id", "opportunities").Doc("Opportunity", "商机"),
        F("currency", FieldType::kCurrency).Immutable().Doc("Currency; defaults to the tenant's", "币种"),
        F("valid_until", FieldType::kDate).Doc("Valid until", "有效期至"),
        Enum("status", {"draft", "pending_approval", "approved", "rejected", "sent", "accepted", "declined"})
            .Default("draft").Doc(
                "draft → (POST /quotes/{id}/submit) approved, or pending_approval → approved / rejected; approved → sent → "
                "accepted / declined",
                "草稿 →（提交）已批准，或待审批 → 已批准/已驳回；已批准 → 已发送 → 客户接受/拒绝"),
        Money("subtotal").Computed().Doc("List value: Σ qty × unit_price", "标价合计"),
        Money("discount_total").Computed().Doc("Σ line discounts", "折扣合计"),
        Money("total").Computed().Sort().Doc("Quoted value", "报价金额"),
        F("discount_pct", FieldType::kNumber).Computed().Sort().Doc("Overall discount off list, %", "整体折扣率（%）"),
        F("max_discount_pct", FieldType::kNumber).Computed().Doc("The deepest line discount, %", "最大单行折扣率（%）"),
        F("approval_id", FieldType::kInt).Computed().Doc("The approval request it went through", "审批单 ID"),
        F("order_id", FieldType::kInt).Computed().Doc("The order it became (POST /quotes/{id}/order)", "转成的订单"),
        Text("notes").Doc("Notes", "备注"),
    };
    AddOwnership(e.fields);
    ChildDef lines;
    lines.name = "lines";
    lines.table = "quote_lines";
    lines.parent_key = "quote_id";
    lines.fields = {
        Ref("product_id", "products").Req().Doc("Product", "产品"),
        F("qty", FieldType::kInt).Req().Range(1, 1000000).Doc("Quantity", "数量"),
        Money("unit_price").Req().Doc("List unit price", "标价单价"),
        F("discount_pct", FieldType::kNumber).Range(0, 100).Doc("Discount off list, %", "折扣率（%）"),
        Money("amount").Computed().Doc("qty × unit_price × (1 − discount_pct/100), rounded to the fen", "行金额"),
    };
    e.child = lines;
    all.push_back(e);
  }
  {
    EntityDef e{"contracts", "contract", "合同", "contract", Scope::kOwned};
    e.writers = kSellers;
    e.indexed_search = false;
    e.default_sort = "-id";
    e.fields = {
        Str("code", 64).Req().Unique().Sort().Immutable().Search().Doc("Contract number, unique in the tenant", "合同编号（唯一）"),
        Str("name").Req().Search().Doc("Title", "合同名称"),
        Ref("customer_id", "customers").Req().Immutable().Doc("Customer", "客户"),
        Ref("opportunity_id", "opportunities").Doc("Opportunity", "商机"),
        Ref("quote_id", "quotes").Doc("The quote it is based on", "依据的报价单"),
        Money("amount").Req().Sort().Doc("Contract value", "合同金额"),
        F("currency", FieldType::kCurrency).Doc("Currency; defaults to the tenant's", "币种"),
        F("start_date", FieldType::kDate).Req().Sort().Doc("First day", "开始日期"),
        F("end_date", FieldType::kDate).Req().Sort().Doc("Last day", "结束日期"),
        Enum("status", {"draft", "pending_approval", "approved", "rejected", "signed", "active", "expiring", "renewed", "expired",
                        "terminated"})
            .Default("draft").Doc(
                "draft → approval (POST /approvals {object: contracts}) → approved → signed → active → expiring (30 days before "
                "the end; a renewal task) → renewed or expired; terminated by hand",
                "草稿 → 审批 → 已批准 → 已签署 → 执行中 → 即将到期（到期前 30 天，生成续约任务）→ 已续约/已到期；可手动终止"),
        F("legal_reviewed", FieldType::kBool).Doc("Reviewed by legal", "法务已审核"),
        Time("signed_at").Computed().Doc("When it was signed", "签署时间"),
        F("approval_id", FieldType::kInt).Computed().Doc("The latest approval request it went through", "最近一次审批单 ID"),
        Ref("renewal_of", "contracts").Immutable().Doc("The contract this one renews", "续约的原合同"),
        Text("notes").Doc("Notes", "备注"),
    };
    AddOwnership(e.fields);
    all.push_back(e);
  }
  {
    EntityDef e{"expenses", "expense", "费用报销单", "expense claim", Scope::kOwned};
    e.writers = kSellers;
    e.indexed_search = false;
    e.default_sort = "-id";
    e.fields = {
        Str("title").Req().Search().Doc("What the claim is for", "报销事由"),
        Enum("category", {"travel", "marketing", "samples", "promotions", "training", "other"})
            .Req().Filter().Doc("Budget category it is charged to", "费用类别（对应预算类别）"),
        Str("destination", 100).Doc("Trip destination (travel)", "出差目的地"),
        F("trip_start", FieldType::kDate).Doc("First day of the trip", "出差开始日期"),
        F("trip_end", FieldType::kDate).Doc("Last day of the trip", "出差结束日期"),
        Ref("customer_id", "customers").Doc("Customer visited", "拜访客户"),
        Enum("status", {"draft", "pending_approval", "approved", "rejected", "posted"})
            .Default("draft").Doc(
                "draft → (POST /expenses/{id}/submit: policy, compliance and budget checks) approved or pending_approval → "
                "approved / rejected; approved → (POST /expenses/{id}/post, HQ) posted to the unit's ledger",
                "草稿 →（提交：标准、合规与预算校验）已批准或待审批 → 已批准/已驳回；已批准 →（总部入账）已入账"),
        Money("total").Computed().Sort().Doc("Sum of the lines", "报销金额"),
        F("line_count", FieldType::kInt).Computed().Doc("Number of lines", "明细行数"),
        F("missing_receipts", FieldType::kInt).Computed().Doc("Lines that need a receipt and have none", "缺少票据的明细行数"),
        F("budget_id", FieldType::kInt).Computed().Doc("The budget the claim is committed against", "占用的预算"),
        F("approval_id", FieldType::kInt).Computed().Doc("The approval request it went through", "审批单 ID"),
        F("ledger_period", FieldType::kString).Computed().Doc("The ledger month it was posted to", "入账期间"),
        Time("posted_at").Computed().Doc("When it was posted", "入账时间"),
        Text("notes").Doc("Notes", "备注"),
    };
    AddOwnership(e.fields);
    ChildDef lines;
    lines.name = "lines";
    lines.table = "expense_lines";
    lines.parent_key = "expense_id";
    lines.fields = {
        F("day", FieldType::kDate).Req().Doc("Day the cost arose", "发生日期"),
        Enum("kind", {"airfare", "train", "hotel", "taxi", "meal", "entertainment", "gift", "conference", "materials", "other"})
            .Req().Doc("Kind of cost", "费用类型：机票/火车/住宿/市内交通/餐费/招待/礼品/会务/物料/其他"),
        Money("amount").Req().Doc("Amount", "金额"),
        F("has_receipt", FieldType::kBool).Doc("A receipt (发票) is attached", "已附发票"),
        Str("receipt_no", 64).Doc("Receipt (invoice) number", "发票号码"),
        Str("vendor", 100).Doc("Vendor", "开票方"),
        Str("city", 64).Doc("City", "城市"),
        F("nights", FieldType::kInt).Range(1, 365).Doc("Nights (hotel)", "住宿晚数"),
        F("attendees", FieldType::kInt).Range(1, 1000).Doc("People (meals, entertainment)", "人数（餐费/招待）"),
        Str("description", 500).Doc("What it was", "说明"),
    };
    e.child = lines;
    all.push_back(e);
  }
  {
    EntityDef e{"budget_transfers", "budget_transfer", "预算调剂", "budget transfer", Scope::kOwned};
    e.writers = kLeads;
    e.indexed_search = false;
    e.default_sort = "-id";
    e.fields = {
        F("from_budget_id", FieldType::kInt).Req().Immutable().Range(1, 9e15).Filter().Doc("The budget the money leaves", "调出预算"),
        F("to_budget_id", FieldType::kInt).Req().Immutable().Range(1, 9e15).Filter().Doc("The budget the money goes to", "调入预算"),
        Money("amount").Req().Immutable().Sort().Doc("Amount moved", "调剂金额"),
        Str("reason", 500).Req().Immutable().Doc("Why", "调剂原因"),
        Enum("status", {"draft", "pending_approval", "approved", "rejected", "executed", "failed"})
            .Default("draft").Doc(
                "draft → (on creation: within the unit's boundary) executed, or pending_approval (the budget_transfer workflow) → "
                "executed / rejected; failed when the money is no longer there",
                "草稿 →（创建即处理：在单元授权内）直接执行，或进入预算调剂审批 → 已执行/已驳回；资金不足时为执行失败"),
        F("approval_id", FieldType::kInt).Computed().Doc("The approval request it went through", "审批单 ID"),
        Time("executed_at").Computed().Doc("When the money moved", "执行时间"),
    };
    AddOwnership(e.fields);
    all.push_back(e);
  }
  {
    EntityDef e{"price_changes", "price_change", "调价申请", "price change", Scope::kOwned};
    e.writers = kLeads;
    e.indexed_search = false;
    e.default_sort = "-id";
    e.fields = {
        Ref("product_id", "products").Req().Immutable().Doc("Product", "产品"),
        Money("old_price").Computed().Doc("List price when requested", "申请时标价"),
        Money("new_price").Req().Immutable().Doc("New list price", "新标价"),
        F("change_pct", FieldType::kNumber).Computed().Sort().Doc("Change, %", "调价幅度（%）"),
        F("effective_date", FieldType::kDate).Req().Immutable().Sort().Doc("First day of the new price (tenant's local day)", "生效日期"),
        Str("reason", 500).Req().Immutable().Doc("Why", "调价原因"),
        Enum("status", {"draft", "pending_approval", "approved", "rejected", "applied", "failed"})
            .Default("draft").Doc(
                "draft → (on creation) the price_change workflow → approved → applied on the effective date; or rejected; failed "
                "when, on the day, the product is gone or its price is no longer the one the change was approved against",
                "草稿 →（创建即触发）调价审批 → 已批准 → 生效日自动生效；或已驳回；生效日产品已停用或标价已变动则为失败"),
        F("approval_id", FieldType::kInt).Computed().Doc("The approval request it went through", "审批单 ID"),
        Time("applied_at").Computed().Doc("When the product's price changed", "生效时间"),
    };
    AddOwnership(e.fields);
    all.push_back(e);
  }
  {
    EntityDef e{"targets", "target", "目标", "target", Scope::kUnit};
    e.writers = kLeads;
    e.default_sort = "-period_start";
    e.fields = {
        Ref("unit_id", "units").Req().Doc("Unit", "单元"),
        Ref("user_id", "users").Doc("User (absent: the whole unit)", "人员（为空则为整个单元）"),
        Enum("metric", {"revenue", "orders", "new_customers", "visits", "won_deals",
                        "gross_margin"})
            .Req().Doc("What is measured", "指标"),
        Str("period", 16).Req().Filter().Doc("Period: 2026-07, 2026-Q3 or 2026",
                                             "周期：2026-07、2026-Q3 或 2026"),
        F("period_start", FieldType::kDate).Computed().Sort().Doc("First day", "开始日期"),
        F("period_end", FieldType::kDate).Computed().Doc("Last day", "结束日期"),
        F("value", FieldType::kNumber).Req().Range(0, 1e13).Doc("Quota (yuan for money)",
                                                                "目标值（金额单位为元）"),
    };
    all.push_back(e);
  }
  {
    EntityDef e{"tasks", "task", "任务", "task", Scope::kOwned};
    e.writers = kSellers;
    e.default_sort = "due_at";
    e.fields = {
        Str("title").Req().Search().Doc("Title", "标题"),
        Text("description").Doc("What and why", "内容与原因"),
        Time("due_at").Sort().Doc("Due", "截止时间"),
        Enum("status", {"open", "done", "cancelled"}).Default("open").Doc("Status", "状态"),
        Enum("priority", {"low", "normal", "high", "urgent"}).Default("normal").Doc("Priority",
                                                                                   "优先级"),
        Enum("related_entity", {"customers", "leads", "opportunities", "orders", "stores", "quotes", "approvals", "contracts", "expenses"})
            .Doc("Related record type", "关联对象类型"),
        F("related_id", FieldType::kInt).Range(1, 9e15).Filter().Doc("Related record id",
                                                                     "关联对象 ID"),
        Enum("source", {"manual", "alert", "ai", "workflow"}).Default("manual").Doc("Origin",
                                                                                   "来源"),
        Time("completed_at").Computed().Doc("Completion time", "完成时间"),
    };
    AddOwnership(e.fields);
    all.push_back(e);
  }
  {
    EntityDef e{"feedback", "feedback", "客户反馈", "customer feedback", Scope::kUnit};
    e.writers = kSellers;
    e.batch = true;  // survey results and POS reviews arrive in bulk
    e.default_sort = "-submitted_at";
    e.needs_one_of = {{"rating", "text"}};
    e.indexed_search = false;
    e.fields = {
        F("rating", FieldType::kInt).Range(1, 5).Filter().Doc("Rating 1 (worst) – 5 (best)", "评分 1（最差）- 5（最好）"),
        Text("text").Search().Doc("What the customer wrote (Chinese or English)", "客户留言（中英文）"),
        Enum("channel", {"app", "wechat", "phone", "store", "email", "survey", "public_link"})
            .Default("app").Doc("Where it came from", "渠道"),
        Ref("customer_id", "customers").Doc("Customer", "客户"),
        Ref("order_id", "orders").Doc("Order", "订单"),
        Ref("store_id", "stores").Doc("Store", "门店"),
        Ref("unit_id", "units").Doc("Unit; defaults to the store's, then the customer's, then the caller's",
                                    "所属单元；默认取门店、客户或当前用户的单元"),
        Time("submitted_at").Sort().Doc("When the customer gave it (defaults to now)", "反馈时间（默认当前）"),
        F("sentiment", FieldType::kNumber).Range(-1, 1).Computed().Sort().Doc(
            "Sentiment -1 … 1 of the text (or the rating when there is no text)", "情感得分 -1 … 1"),
        Enum("sentiment_label", {"positive", "neutral", "negative"}).Computed().Doc("Sentiment", "情感倾向"),
        Str("sentiment_model", 40).Computed().Doc(
            "Which model judged it: fasttext:v<N> (trained on the tenant's rated feedback), lexicon, or rating",
            "判定所用模型：fasttext:v<N>（基于本租户评分反馈训练）、lexicon（词典）或 rating（仅评分）"),
        Str("contact_name", 100).Doc("The customer's name as they gave it", "客户留下的称呼"),
        Str("contact", 100).Doc("How to reach the customer (phone, WeChat, email), as they gave it",
                                "客户留下的联系方式（电话、微信、邮箱）"),
        F("link_id", FieldType::kInt).Range(1, 9e15).Immutable().Filter().Doc(
            "The public feedback link it came through (set by POST /public/feedback/{token} only)",
            "提交所用的公开反馈链接（仅由公开反馈接口填写）"),
    };
    all.push_back(e);
  }
  {
    EntityDef e{"materials", "material", "物料", "material", Scope::kShared};
    e.writers = kLeads;
    e.default_sort = "-updated_at";
    e.fields = {
        Str("title").Req().Sort().Search().Doc("Title, e.g. 2026 价格表", "标题，如 2026 价格表"),
        Enum("kind", {"brand", "price_list", "deck", "template", "training", "other"}).Req().Doc(
            "brand guidelines, price list, deck, (contract) template, training, other",
            "类型：品牌规范、价格表、推介材料、（合同）模板、培训、其他"),
        F("description", FieldType::kText).Len(4000).Doc("What it is and when to use it", "说明与适用场景"),
        Str("tags", 400).Search().Doc("Tags separated by commas (，、; also work), e.g. 空调,2026",
                                      "标签，以逗号分隔（也可用，、;），如 空调,2026"),
        Str("product_line", 64).Filter().Doc("Product line", "产品线"),
        F("category_path", FieldType::kCategory).Filter().Doc("Product category it is about", "相关品类"),
        Ref("unit_id", "units").Doc(
            "The unit that owns it: absent for HQ's materials shared with everyone; a unit's own are seen by "
            "its subtree and the units above it",
            "所属单元：为空表示总部共享给全员；单元自有物料仅本单元及下级、上级单元可见"),
        F("latest_version", FieldType::kInt).Computed().Sort().Doc(
            "Number of the newest version (POST /materials/{id}/versions)", "最新版本号（上传新版本见 versions 接口）"),
        Str("file_name", 200).Computed().Doc("The newest version's file name", "最新版本文件名"),
        Str("content_type", 100).Computed().Doc("The newest version's media type", "最新版本的文件类型"),
        F("size_bytes", FieldType::kInt).Computed().Doc("The newest version's size in bytes", "最新版本大小（字节）"),
        Str("sha256", 64).Computed().Doc("SHA-256 of the newest version", "最新版本的 SHA-256"),
    };
    all.push_back(e);
  }
  {
    EntityDef e{"case_reviews", "case_review", "复盘", "case review", Scope::kPublished};
    e.writers = kSellers;
    e.fields = {
        Ref("unit_id", "units").Doc("The unit whose case it is; defaults to yours", "复盘所属单元；默认为您的单元"),
        Str("title").Req().Sort().Search().Doc("Title", "标题"),
        Ref("opportunity_id", "opportunities").Doc("The opportunity reviewed", "复盘的商机"),
        Ref("customer_id", "customers").Doc("The customer", "客户"),
        Enum("outcome", {"won", "lost", "ongoing", "other"}).Req().Doc("won, lost, ongoing or other",
                                                                        "结果：赢单、输单、进行中、其他"),
        Text("background").Search().Doc("The situation", "背景"),
        Text("went_well").Search().Doc("What went well", "做得好的"),
        Text("went_wrong").Search().Doc("What went wrong", "问题与不足"),
        Text("lessons").Search().Doc("Lessons for other units", "经验教训"),
        Str("tags", 400).Search().Doc("Tags separated by commas, e.g. 大客户,价格战", "标签，以逗号分隔，如 大客户,价格战"),
        Ref("author_id", "users").Doc("Who wrote it; defaults to you", "撰写人；默认为您"),
    };
    all.push_back(e);
  }
  {
    // Saved list views and dashboards of the web front end. Shared down the tree like materials:
    // a unit's views are seen by its subtree and the units above; only the owner (or a unit lead
    // or HQ above it) changes one. The metrics a dashboard shows are scoped when they are read.
    EntityDef e{"views", "view", "视图与看板", "saved view", Scope::kShared};
    e.writers = {Role::kAdmin, Role::kHqOps, Role::kUnitLead, Role::kSupervisor, Role::kRep, Role::kAnalyst};
    e.default_sort = "name";
    e.indexed_search = false;
    e.fields = {
        Enum("kind", {"dashboard", "list"}).Req().Immutable().Filter().Doc(
            "dashboard (widgets on a grid) or list (a list's filters, columns and sort)",
            "类型：dashboard 看板（网格上的组件）或 list 列表视图（筛选、列与排序）"),
        Str("entity", 40).Filter().Doc("For list views: the list it belongs to, e.g. leads", "列表视图所属列表，如 leads"),
        Str("name", 100).Req().Sort().Search().Doc("Name", "名称"),
        Enum("audience", {"personal", "unit"}).Default("personal").Filter().Doc(
            "personal (listed for its owner) or unit (listed for everyone in the unit)",
            "personal 个人（仅在负责人的列表中出现）或 unit 单元（单元内所有人可见）"),
        F("config", FieldType::kJson).Req().Doc(
            "dashboard: {widgets: [{id, x, y, w, h, type, metric, range, dims, title}]}; list: {filters, columns, sort}",
            "看板：{widgets: [{id, x, y, w, h, type, metric, range, dims, title}]}；列表：{filters, columns, sort}"),
        Ref("owner_id", "users").Filter().Doc("Who saved it; the caller", "保存人（当前用户）"),
        Ref("unit_id", "units").Filter().Doc("The unit it belongs to; defaults to yours", "所属单元；默认为您的单元"),
    };
    all.push_back(e);
  }
  {
    EntityDef e{"custom_fields", "custom_field", "自定义字段", "custom field", Scope::kTenant};
    e.writers = kHq;
    e.default_sort = "id";
    e.indexed_search = false;
    e.fields = {
        Enum("entity", kCustomFieldEntities).Req().Immutable().Doc(
            "The entity the field is added to", "字段所属对象"),
        Str("name", 40).Req().Immutable().Sort().Search().Doc(
            "Key in the record's `custom` object: a-z, 0-9, _ (unique per entity)",
            "记录 custom 对象中的键：a-z、0-9、下划线（同一对象内唯一）"),
        Enum("type", kCustomFieldTypes).Req().Immutable().Doc(
            "string, text, number, int, money, bool, enum or date",
            "类型：string 文本、text 长文本、number 数值、int 整数、money 金额、bool 是否、enum 选项、date 日期"),
        Str("label", 100).Req().Search().Doc("Label shown to people (Chinese)", "显示名称（中文）"),
        Str("label_en", 100).Search().Doc("English label", "英文显示名称"),
        F("options", FieldType::kJson).Doc(
            "values (enum: the allowed values), min/max (number, int, money), max_len (string, text)",
            "values（选项字段的取值）、min/max（数值、整数、金额）、max_len（文本）"),
        F("required", FieldType::kBool).Doc("Required on new records", "新建记录时必填"),
        F("ai_feature", FieldType::kBool).Default("true").Doc(
            "Used as a feature by the lead/deal models (number, int, money, bool, enum, date fields of "
            "leads, opportunities and customers)",
            "作为线索/商机模型的特征（线索、商机、客户上的数值、整数、金额、是否、选项、日期字段）"),
    };
    all.push_back(e);
  }
  return all;
}

}  // namespace

const std::vector<std::string> kLeadStatuses = {"new", "working", "qualified", "converted",
                                                "disqualified"};
const std::vector<std::string> kOpportunityStages = {"prospecting", "qualification", "proposal",
                                                     "negotiation", "won", "lost"};
const std::vector<std::string> kCurrencies = {"CNY", "USD", "EUR", "HKD", "JPY", "GBP",
                                              "KRW", "SGD", "TWD", "MOP", "AUD", "CAD"};

const FieldDef* EntityDef::Field(const std::string& n) const {
  for (const auto& f : fields) {
    if (f.name == n) return &f;
  }
  return nullptr;
}

bool EntityDef::CanWrite(Role r) const {
  return std::find(writers.begin(), writers.end(), r) != writers.end();
}

std::string EntityDef::UrlSegment() const {
  std::string s = name;
  std::replace(s.begin(), s.end(), '_', '-');
  return s;
}

const std::vector<EntityDef>& Entities() {
  static const std::vector<EntityDef>* all = [] {
    auto* built = new std::vector<EntityDef>(Build());
    for (auto& e : *built) e.rules = rules::DomainRules(e.name);
    return built;
  }();
  return *all;
}

const EntityDef* FindEntity(const std::string& name) {
  for (const auto& e : Entities()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kHqOps: return "hq_ops";
    case Role::kUnitLead: return "unit_lead";
    case Role::kSupervisor: return "supervisor";
    case Role::kRep: return "rep";
    case Role::kAnalyst: return "analyst";
    case Role::kAuditor: return "auditor";
  }
  return "rep";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : kAllRoles) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

}  // namespace keel::domain
