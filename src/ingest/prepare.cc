// Validation at the door: the field readers, the cache of master-data codes, and each record
// type's checks (order, activity, signal, custom event), then the record API's scope rules.
#include <algorithm>

#include "domain/codec.h"
#include "domain/schema.h"
#include "ingest/internal.h"
#include "ingest/store.h"

namespace keel::ingest {

Status Bad(const std::string& field, const std::string& code, const std::string& en, const std::string& zh) {
  return Status::Invalid(code, en, zh, field);
}
Status Required(const std::string& field) {
  return Bad(field, "validation.required", field + " is required", field + " 为必填项");
}
Status Unknown(const std::string& field, const std::string& what_en, const std::string& what_zh, const std::string& code) {
  return Bad(field, "validation.reference", "no " + what_en + " with code '" + code + "'",
             "不存在编码为 '" + code + "' 的" + what_zh);
}

Result<TimeMs> TimeField(const json& r, const char* key, bool required) {
  auto it = r.find(key);
  if (it == r.end() || it->is_null()) {
    if (required) return Required(key);
    return TimeMs{0};
  }
  if (!it->is_string()) return Bad(key, "validation.type", std::string(key) + " must be a timestamp text", std::string(key) + " 须为时间文本");
  auto t = ParseTimestamp(it->get<std::string>());
  if (!t.ok()) return t.status().WithField(key);
  return *t;
}

Result<std::string> TextField(const json& r, const char* key, bool required, size_t max) {
  auto it = r.find(key);
  if (it == r.end() || it->is_null()) {
    if (required) return Required(key);
    return std::string();
  }
  if (!it->is_string()) return Bad(key, "validation.type", std::string(key) + " must be text", std::string(key) + " 须为文本");
  const std::string& s = it->get_ref<const std::string&>();
  if (s.size() > max) return Bad(key, "validation.too_long", std::string(key) + " is longer than " + std::to_string(max) + " bytes",
                                 std::string(key) + " 超过 " + std::to_string(max) + " 字节");
  return s;
}

Result<int64_t> Money(const json& r, const char* key, bool required, const std::string& field) {
  auto it = r.find(key);
  if (it == r.end() || it->is_null()) {
    if (required) return Required(field);
    return int64_t{0};
  }
  if (!it->is_number()) return Bad(field, "validation.type", field + " must be a number", field + " 须为数值");
  double v = it->get<double>();
  double fen = std::round(v * 100.0);
  if (!std::isfinite(v) || v < 0 || v > 1e12 || std::fabs(v * 100.0 - fen) > 1e-6) {
    return Bad(field, "validation.money", field + " must be an amount ≥ 0 with at most 2 decimals",
               field + " 须为不小于 0 且最多两位小数的金额");
  }
  return static_cast<int64_t>(fen);
}

bool OneOf(const std::string& v, std::initializer_list<const char*> options) {
  for (const char* o : options) {
    if (v == o) return true;
  }
  return false;
}

std::string Str(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}
bool Flag(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

Status Ingestor::Impl::Load(store::Connection& conn, int64_t tenant, Cache& c) {
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::StoreRow> stores, repo::Stores(conn, tenant));
  for (const auto& r : stores) c.stores[r.code] = {r.id, r.unit_id, r.manager_id};
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::CustomerRow> customers, repo::Customers(conn, tenant));
  for (const auto& r : customers) c.customers[r.code] = {r.id, r.owner_id, r.unit_id};
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::ProductRow> products, repo::Products(conn, tenant));
  for (const auto& r : products) c.products[r.sku] = r.id;
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::UserRow> users, repo::Users(conn, tenant));
  for (const auto& r : users) {
    c.users[r.username] = {r.id, r.unit_id};
    c.users_by_id[r.id] = {r.id, r.unit_id};
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::EventTypeRow> types, repo::ActiveEventTypes(conn, tenant));
  for (const auto& r : types) {
    json d = json::parse(r.definition, nullptr, false);
    TypeSpec spec;
    spec.name = r.name;
    for (const auto& f : d.value("fields", json::array())) spec.fields.push_back({Str(f, "name"), Str(f, "type"), Flag(f, "required")});
    c.types[spec.name] = spec;
  }
  c.loaded = true;
  return Status();
}

Result<StoreInfo> Ingestor::Impl::FindStore(store::Connection& conn, int64_t tenant, Cache& c, const std::string& code) {
  if (auto it = c.stores.find(code); it != c.stores.end()) return it->second;
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::StoreRow> r, repo::FindStore(conn, tenant, code));
  if (!r) return Unknown("store_code", "store", "门店", code);
  return c.stores[code] = {r->id, r->unit_id, r->manager_id};
}

Result<CustomerInfo> Ingestor::Impl::FindCustomer(store::Connection& conn, int64_t tenant, Cache& c, const std::string& code) {
  if (auto it = c.customers.find(code); it != c.customers.end()) return it->second;
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::CustomerRow> r, repo::FindCustomer(conn, tenant, code));
  if (!r) return Unknown("customer_code", "customer", "客户", code);
  return c.customers[code] = {r->id, r->owner_id, r->unit_id};
}

Result<int64_t> Ingestor::Impl::FindProduct(store::Connection& conn, int64_t tenant, Cache& c, const std::string& sku) {
  if (auto it = c.products.find(sku); it != c.products.end()) return it->second;
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::ProductRow> r, repo::FindProduct(conn, tenant, sku));
  if (!r) return Unknown("sku", "product", "产品", sku);
  return c.products[sku] = r->id;
}

Result<UserInfo> Ingestor::Impl::FindUser(store::Connection& conn, int64_t tenant, Cache& c, const std::string& username) {
  if (auto it = c.users.find(username); it != c.users.end()) return it->second;
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::UserRow> r, repo::FindUser(conn, tenant, username));
  if (!r) return Bad("rep", "validation.reference", "no active user '" + username + "'", "不存在有效用户 '" + username + "'");
  UserInfo u{r->id, r->unit_id};
  c.users_by_id[u.id] = u;
  return c.users[username] = u;
}

Result<UserInfo> Ingestor::Impl::UserById(store::Connection& conn, int64_t tenant, Cache& c, int64_t id) {
  if (auto it = c.users_by_id.find(id); it != c.users_by_id.end()) return it->second;
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::UserRow> r, repo::UserById(conn, tenant, id));
  if (!r) return Status::NotFound("user");
  return c.users_by_id[id] = {r->id, r->unit_id};
}

Status Ingestor::Impl::Prepare(store::Connection& conn, const Principal& p, Cache& c, const json& r, Prepared& out) {
  KEEL_ASSIGN_OR_RETURN(std::string type, TextField(r, "type", true, 64));
  KEEL_ASSIGN_OR_RETURN(std::string customer_code, TextField(r, "customer_code", false, 64));
  CustomerInfo customer;
  if (!customer_code.empty()) {
    KEEL_ASSIGN_OR_RETURN(customer, FindCustomer(conn, p.tenant_id, c, customer_code));
    out.customer = customer.id;
  }
  KEEL_ASSIGN_OR_RETURN(std::string store_code, TextField(r, "store_code", false, 64));
  StoreInfo store;
  if (!store_code.empty()) {
    KEEL_ASSIGN_OR_RETURN(store, FindStore(conn, p.tenant_id, c, store_code));
    out.store = store.id;
  }
  if (type == "order") {
    KEEL_RETURN_IF_ERROR(PrepareOrder(conn, p, c, r, out));
    if (store.id) out.unit = store.unit;
    return ResolveOwner(conn, p, c, r, store.manager ? store.manager : customer.owner, store.manager ? store.unit : customer.unit, out);
  }
  if (type == "activity") {
    KEEL_RETURN_IF_ERROR(PrepareActivity(r, out));
    return ResolveOwner(conn, p, c, r, customer.owner, customer.unit, out);
  }
  if (type == "signal") {
    KEEL_RETURN_IF_ERROR(PrepareSignal(r, out));
    out.owner = customer.owner;
    out.unit = customer.unit;
    return Status();
  }
  KEEL_RETURN_IF_ERROR(PrepareCustom(c, type, r, out));
  return ResolveOwner(conn, p, c, r, customer.owner, customer.unit, out);
}

Status Ingestor::Impl::ResolveOwner(store::Connection& conn, const Principal& p, Cache& c, const json& r, int64_t fallback_owner,
                                    int64_t fallback_unit, Prepared& out) {
  KEEL_ASSIGN_OR_RETURN(std::string rep, TextField(r, "rep", false, 64));
  if (!rep.empty()) {
    KEEL_ASSIGN_OR_RETURN(UserInfo u, FindUser(conn, p.tenant_id, c, rep));
    out.owner = u.id;
    if (!out.unit) out.unit = u.unit;
  } else if (fallback_owner) {
    out.owner = fallback_owner;
    if (!out.unit) out.unit = fallback_unit;
  } else {
    out.owner = p.user_id;
    if (!out.unit) out.unit = p.unit_id;
  }
  if (out.owner == 0) return Required("rep");
  if (!out.unit) {
    KEEL_ASSIGN_OR_RETURN(UserInfo u, UserById(conn, p.tenant_id, c, out.owner));
    out.unit = u.unit;
  }
  if (p.role == domain::Role::kRep && out.owner != p.user_id) {
    return Status::Error(ErrorKind::kForbidden, "auth.forbidden", "a rep may only send their own facts", "销售代表只能提交本人的数据", "rep");
  }
  return Status();
}

Status Ingestor::Impl::PrepareOrder(store::Connection& conn, const Principal& p, Cache& c, const json& r, Prepared& out) {
  using Kind = Prepared::Kind;
  out.kind = Kind::kOrder;
  KEEL_ASSIGN_OR_RETURN(out.at, TimeField(r, "at", true));
  KEEL_ASSIGN_OR_RETURN(out.code, TextField(r, "code", true, 64));
  KEEL_ASSIGN_OR_RETURN(out.channel, TextField(r, "channel", false, 32));
  if (out.channel.empty()) out.channel = out.store ? "store" : "online";
  if (!OneOf(out.channel, {"store", "online", "b2b", "wechat", "livestream"})) {
    return Bad("channel", "validation.enum", "channel is store, online, b2b, wechat or livestream", "channel 可为 store、online、b2b、wechat、livestream");
  }
  KEEL_ASSIGN_OR_RETURN(out.status, TextField(r, "status", false, 16));
  if (out.status.empty()) out.status = "paid";
  if (!OneOf(out.status, {"paid", "refunded", "cancelled"})) {
    return Bad("status", "validation.enum", "status is paid, refunded or cancelled", "status 可为 paid、refunded、cancelled");
  }
  KEEL_ASSIGN_OR_RETURN(out.currency, TextField(r, "currency", false, 3));
  out.currency = out.currency.empty() ? "CNY" : Upper(out.currency);
  if (std::find(domain::kCurrencies.begin(), domain::kCurrencies.end(), out.currency) == domain::kCurrencies.end()) {
    return Bad("currency", "validation.currency", "currency must be an ISO-4217 code such as CNY", "currency 须为 ISO-4217 币种代码，如 CNY");
  }
  auto lines = r.find("lines");
  if (lines == r.end() || !lines->is_array() || lines->empty() || lines->size() > 500) {
    return Bad("lines", "validation.lines", "an order needs 1-500 lines", "订单需要 1-500 行明细");
  }
  for (size_t i = 0; i < lines->size(); ++i) {
    const json& l = (*lines)[i];
    std::string prefix = "lines[" + std::to_string(i) + "]";
    if (!l.is_object()) return Bad(prefix, "validation.type", "a line is an object", "明细行须为对象");
    auto sku = TextField(l, "sku", true, 64);
    if (!sku.ok()) return sku.status().WithFieldPrefix(prefix);
    auto product = FindProduct(conn, p.tenant_id, c, *sku);
    if (!product.ok()) return product.status().WithFieldPrefix(prefix);
    auto qty = l.find("qty");
    if (qty == l.end() || !qty->is_number_integer() || qty->get<int64_t>() < 1 || qty->get<int64_t>() > 1000000) {
      return Bad(prefix + ".qty", "validation.range", "qty is a whole number from 1 to 1,000,000", "数量须为 1 到 1,000,000 的整数");
    }
    KEEL_ASSIGN_OR_RETURN(int64_t price, Money(l, "unit_price", true, prefix + ".unit_price"));
    KEEL_ASSIGN_OR_RETURN(int64_t discount, Money(l, "discount", false, prefix + ".discount"));
    int64_t gross = price * qty->get<int64_t>();
    if (discount > gross) return Bad(prefix + ".discount", "validation.range", "the discount exceeds the line amount", "折扣超过行金额");
    out.lines.push_back({*product, qty->get<int64_t>(), price, discount, gross - discount});
    out.total += gross - discount;
    out.discount_total += discount;
  }
  return Status();
}

Status Ingestor::Impl::PrepareActivity(const json& r, Prepared& out) {
  using Kind = Prepared::Kind;
  out.kind = Kind::kActivity;
  KEEL_ASSIGN_OR_RETURN(out.akind, TextField(r, "kind", true, 16));
  if (!OneOf(out.akind, {"visit", "call", "meeting", "email", "demo", "proposal"})) {
    return Bad("kind", "validation.enum", "kind is visit, call, meeting, email, demo or proposal", "kind 可为 visit、call、meeting、email、demo、proposal");
  }
  // A visit may come as check-in and check-out; its duration is the time between.
  KEEL_ASSIGN_OR_RETURN(TimeMs checkin, TimeField(r, "checkin_at", false));
  KEEL_ASSIGN_OR_RETURN(TimeMs checkout, TimeField(r, "checkout_at", false));
  if (checkin && checkout) {
    if (checkout < checkin) return Bad("checkout_at", "validation.range", "check-out is before check-in", "签退时间早于签到时间");
    if (checkout - checkin > 24 * 3600000LL) return Bad("checkout_at", "validation.range", "a visit lasts at most 24 hours", "一次拜访最长 24 小时");
    out.at = checkin;
    out.duration = (checkout - checkin) / 60000;
  } else {
    KEEL_ASSIGN_OR_RETURN(out.at, TimeField(r, "at", !checkin));
    if (!out.at) out.at = checkin;
    if (auto d = r.find("duration_min"); d != r.end() && !d->is_null()) {
      if (!d->is_number_integer() || d->get<int64_t>() < 0 || d->get<int64_t>() > 1440) {
        return Bad("duration_min", "validation.range", "duration_min is 0 … 1440", "duration_min 取值 0 … 1440");
      }
      out.duration = d->get<int64_t>();
    }
  }
  KEEL_ASSIGN_OR_RETURN(out.subject, TextField(r, "subject", false, 200));
  KEEL_ASSIGN_OR_RETURN(out.notes, TextField(r, "notes", false, 20000));
  KEEL_ASSIGN_OR_RETURN(out.outcome, TextField(r, "outcome", false, 16));
  if (!out.outcome.empty() && !OneOf(out.outcome, {"completed", "connected", "no_answer", "positive", "neutral", "negative", "rescheduled"})) {
    return Bad("outcome", "validation.enum", "outcome is completed, connected, no_answer, positive, neutral, negative or rescheduled",
               "outcome 可为 completed、connected、no_answer、positive、neutral、negative、rescheduled");
  }
  return Status();
}

Status Ingestor::Impl::PrepareSignal(const json& r, Prepared& out) {
  using Kind = Prepared::Kind;
  out.kind = Kind::kSignal;
  KEEL_ASSIGN_OR_RETURN(out.at, TimeField(r, "at", true));
  KEEL_ASSIGN_OR_RETURN(out.skind, TextField(r, "kind", true, 16));
  if (!OneOf(out.skind, {"news", "tender", "social", "review", "other"})) {
    return Bad("kind", "validation.enum", "kind is news, tender, social, review or other", "kind 可为 news、tender、social、review、other");
  }
  KEEL_ASSIGN_OR_RETURN(out.source, TextField(r, "source", true, 100));
  KEEL_ASSIGN_OR_RETURN(out.title, TextField(r, "title", true, 500));
  KEEL_ASSIGN_OR_RETURN(out.body, TextField(r, "body", false, 20000));
  KEEL_ASSIGN_OR_RETURN(out.url, TextField(r, "url", false, 2000));
  if (auto s = r.find("sentiment"); s != r.end() && !s->is_null()) {
    if (!s->is_number() || s->get<double>() < -1 || s->get<double>() > 1) {
      return Bad("sentiment", "validation.range", "sentiment is -1 … 1", "sentiment 取值 -1 … 1");
    }
    out.sentiment = s->get<double>();
  }
  return Status();
}

Status Ingestor::Impl::PrepareCustom(Cache& c, const std::string& type, const json& r, Prepared& out) {
  using Kind = Prepared::Kind;
  auto spec = c.types.find(type);
  if (spec == c.types.end()) {
    return Bad("type", "ingest.unknown_type",
               "unknown type '" + type + "' (order, activity, signal, lead, stage_change, or a custom event type)",
               "未知的类型 '" + type + "'（order、activity、signal、lead、stage_change 或自定义事件类型）");
  }
  out.kind = Kind::kCustom;
  out.type = type;
  KEEL_ASSIGN_OR_RETURN(out.at, TimeField(r, "at", true));
  const json& data = r.contains("data") && r["data"].is_object() ? r["data"] : r;
  out.data = json::object();
  for (const auto& f : spec->second.fields) {
    auto it = data.find(f.name);
    std::string field = (r.contains("data") ? "data." : "") + f.name;
    if (it == data.end() || it->is_null()) {
      if (f.required) return Required(field);
      continue;
    }
    bool ok = (f.type == "number" && it->is_number()) || (f.type == "bool" && it->is_boolean()) ||
              (f.type == "text" && it->is_string() && it->get_ref<const std::string&>().size() <= 2000) ||
              (f.type == "datetime" && it->is_string() && ParseTimestamp(it->get<std::string>()).ok()) ||
              (f.type == "date" && it->is_string() && ParseDate(it->get<std::string>()).ok());
    if (!ok) return Bad(field, "validation.type", field + " must be " + f.type, field + " 须为 " + f.type);
    out.data[f.name] = *it;
  }
  return Status();
}

Status Ingestor::Impl::CheckScope(store::Connection& conn, const Principal& p, const Prepared& r) {
  using Kind = Prepared::Kind;
  if (r.kind == Kind::kOrder && r.status != "paid" && !domain::CanRefund(p)) {
    return Status::Error(ErrorKind::kForbidden, "order.refund_role", "only a supervisor, unit lead or HQ may post a refunded or cancelled order",
                         "只有主管、战队负责人或总部可以提交退款或取消的订单", "status");
  }
  // HQ writes anywhere; references were resolved inside the tenant (and this keeps bulk feeds fast).
  if (p.is_system() || p.role == domain::Role::kAdmin || p.role == domain::Role::kHqOps) return Status();
  if (r.kind == Kind::kSignal && !r.customer) return Status();  // market news about no one in particular
  std::map<std::string, int64_t> values = {{"owner_id", r.owner}, {"unit_id", r.unit}, {"customer_id", r.customer}};
  if (r.kind == Kind::kOrder || r.kind == Kind::kActivity) values["store_id"] = r.store;
  // Orders are checked as orders; visits, signals and custom facts as the activities they are.
  const domain::EntityDef& e = *domain::FindEntity(r.kind == Kind::kOrder ? "orders" : "activities");
  Status st = records.CheckWritable(conn, p, e, values);
  if (st.ok()) return st;
  // Name the field of the ingest record, not of the table.
  static const std::map<std::string, std::string> kFields = {
      {"store_id", "store_code"}, {"customer_id", "customer_code"}, {"owner_id", "rep"}, {"unit_id", "rep"}};
  auto it = kFields.find(st.field());
  return st.WithField(it != kFields.end() ? it->second : (r.store ? "store_code" : r.customer ? "customer_code" : "rep"));
}

}  // namespace keel::ingest
