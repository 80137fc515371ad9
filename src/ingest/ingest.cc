#include "ingest/ingest.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "common/crypto.h"
#include "domain/audit.h"
#include "domain/codec.h"
#include "ingest/csv.h"
#include "domain/schema.h"
#include "events/event_log.h"

namespace keel::ingest {
namespace {

using store::Value;
using domain::Principal;

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

struct StoreInfo { int64_t id = 0, unit = 0, manager = 0; };
struct CustomerInfo { int64_t id = 0, owner = 0, unit = 0; };
struct UserInfo { int64_t id = 0, unit = 0; };
struct FieldSpec { std::string name, type; bool required = false; };
struct TypeSpec { std::string name; std::vector<FieldSpec> fields; };

// Master data codes of one tenant, loaded lazily and refreshed code by code on a miss.
struct Cache {
  std::mutex mu;
  std::unordered_map<std::string, StoreInfo> stores;
  std::unordered_map<std::string, CustomerInfo> customers;
  std::unordered_map<std::string, int64_t> products;
  std::unordered_map<std::string, UserInfo> users;
  std::unordered_map<int64_t, UserInfo> users_by_id;
  std::map<std::string, TypeSpec> types;
  bool loaded = false;
};

struct Line { int64_t product, qty, unit_price, discount, amount; };

// A validated record waiting for the writer.
struct Prepared {
  size_t index = 0;
  std::string key;
  enum class Kind { kOrder, kActivity, kSignal, kCustom } kind = Kind::kOrder;
  TimeMs at = 0;
  int64_t owner = 0, unit = 0, customer = 0, store = 0;
  // order
  std::string code, channel, status, currency;
  std::vector<Line> lines;
  int64_t total = 0, discount_total = 0;
  // activity
  std::string akind, subject, notes, outcome;
  int64_t duration = -1;
  // signal
  std::string skind, source, title, body, url;
  double sentiment = NAN;
  // custom
  std::string type;
  json data;
};

struct Batch {
  int64_t tenant = 0, actor = 0;
  std::vector<Prepared> records;
  std::promise<Result<std::vector<int>>> done;  // per record: 0 written, 1 duplicate
};

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

Result<std::string> TextField(const json& r, const char* key, bool required, size_t max = 200) {
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

// Money in minor units; at most two decimals.
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

// Text at `key`, or "" when it is absent or not text (never throws on a wrong type).
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

}  // namespace

json IngestReport::ToJson() const {
  json errs = json::array();
  for (const auto& e : errors) {
    errs.push_back({{"index", e.index}, {"code", e.status.code()}, {"message", e.status.message_en()},
                    {"message_zh", e.status.message_zh()},
                    {"field", e.status.field().empty() ? json(nullptr) : json(e.status.field())}});
  }
  return {{"received", received}, {"accepted", accepted}, {"duplicates", duplicates}, {"rejected", errors.size()},
          {"errors", errs}, {"duplicate_indexes", duplicate_indexes}};
}

struct Ingestor::Impl {
  store::Database& db;
  domain::RecordService& records;
  const Clock& clock;
  IngestOptions opt;

  std::mutex caches_mu;
  std::map<int64_t, std::unique_ptr<Cache>> caches;

  std::mutex mu;  // guards queue, queued, stop, started
  std::condition_variable cv;
  std::deque<std::shared_ptr<Batch>> queue;
  size_t queued = 0;
  bool stop = false, started = false;
  std::thread writer;
  std::atomic<int64_t> written{0}, groups{0}, busy{0};

  Impl(store::Database& d, domain::RecordService& r, const Clock& c, IngestOptions o) : db(d), records(r), clock(c), opt(o) {}

  Cache& CacheOf(int64_t tenant) {
    std::lock_guard lock(caches_mu);
    auto& c = caches[tenant];
    if (!c) c = std::make_unique<Cache>();
    return *c;
  }
  Status Load(store::Connection& conn, int64_t tenant, Cache& c);
  Result<StoreInfo> FindStore(store::Connection& conn, int64_t tenant, Cache& c, const std::string& code);
  Result<CustomerInfo> FindCustomer(store::Connection& conn, int64_t tenant, Cache& c, const std::string& code);
  Result<int64_t> FindProduct(store::Connection& conn, int64_t tenant, Cache& c, const std::string& sku);
  Result<UserInfo> FindUser(store::Connection& conn, int64_t tenant, Cache& c, const std::string& username);
  Result<UserInfo> UserById(store::Connection& conn, int64_t tenant, Cache& c, int64_t id);
  Status Prepare(store::Connection& conn, const Principal& p, Cache& c, const json& r, Prepared& out);
  // The record API's scope rules for the prepared record: who may write it, whose it is, and
  // every store, customer, rep and unit it names (DESIGN §8: one rule on every path).
  Status CheckScope(store::Connection& conn, const Principal& p, const Prepared& r);
  Status WriteGroup(std::vector<std::shared_ptr<Batch>>& group, std::vector<std::vector<int>>& outcome);
  void Run();
};

Status Ingestor::Impl::Load(store::Connection& conn, int64_t tenant, Cache& c) {
  Value t[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows stores, conn.Query("SELECT code, id, unit_id, manager_id FROM stores WHERE tenant_id = ? AND archived_at IS NULL", t));
  for (const auto& r : stores.rows) c.stores[store::AsText(r[0])] = {store::AsInt(r[1]), store::AsInt(r[2]), store::AsInt(r[3])};
  KEEL_ASSIGN_OR_RETURN(store::Rows customers, conn.Query("SELECT code, id, owner_id, unit_id FROM customers WHERE tenant_id = ? AND archived_at IS NULL", t));
  for (const auto& r : customers.rows) c.customers[store::AsText(r[0])] = {store::AsInt(r[1]), store::AsInt(r[2]), store::AsInt(r[3])};
  KEEL_ASSIGN_OR_RETURN(store::Rows products, conn.Query("SELECT sku, id FROM products WHERE tenant_id = ? AND archived_at IS NULL", t));
  for (const auto& r : products.rows) c.products[store::AsText(r[0])] = store::AsInt(r[1]);
  KEEL_ASSIGN_OR_RETURN(store::Rows users, conn.Query("SELECT username, id, unit_id FROM users WHERE tenant_id = ? AND status = 'active'", t));
  for (const auto& r : users.rows) {
    c.users[store::AsText(r[0])] = {store::AsInt(r[1]), store::AsInt(r[2])};
    c.users_by_id[store::AsInt(r[1])] = {store::AsInt(r[1]), store::AsInt(r[2])};
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows types, conn.Query("SELECT name, definition FROM event_types WHERE tenant_id = ? AND status = 'active'", t));
  for (const auto& r : types.rows) {
    json d = json::parse(store::AsText(r[1]), nullptr, false);
    TypeSpec spec;
    spec.name = store::AsText(r[0]);
    for (const auto& f : d.value("fields", json::array())) spec.fields.push_back({Str(f, "name"), Str(f, "type"), Flag(f, "required")});
    c.types[spec.name] = spec;
  }
  c.loaded = true;
  return Status();
}

Result<StoreInfo> Ingestor::Impl::FindStore(store::Connection& conn, int64_t tenant, Cache& c, const std::string& code) {
  if (auto it = c.stores.find(code); it != c.stores.end()) return it->second;
  Value q[] = {tenant, code};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT id, unit_id, manager_id FROM stores WHERE tenant_id = ? AND code = ? AND archived_at IS NULL", q));
  if (r.empty()) return Unknown("store_code", "store", "门店", code);
  return c.stores[code] = {store::AsInt(r.rows[0][0]), store::AsInt(r.rows[0][1]), store::AsInt(r.rows[0][2])};
}

Result<CustomerInfo> Ingestor::Impl::FindCustomer(store::Connection& conn, int64_t tenant, Cache& c, const std::string& code) {
  if (auto it = c.customers.find(code); it != c.customers.end()) return it->second;
  Value q[] = {tenant, code};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT id, owner_id, unit_id FROM customers WHERE tenant_id = ? AND code = ? AND archived_at IS NULL", q));
  if (r.empty()) return Unknown("customer_code", "customer", "客户", code);
  return c.customers[code] = {store::AsInt(r.rows[0][0]), store::AsInt(r.rows[0][1]), store::AsInt(r.rows[0][2])};
}

Result<int64_t> Ingestor::Impl::FindProduct(store::Connection& conn, int64_t tenant, Cache& c, const std::string& sku) {
  if (auto it = c.products.find(sku); it != c.products.end()) return it->second;
  Value q[] = {tenant, sku};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT id FROM products WHERE tenant_id = ? AND sku = ? AND archived_at IS NULL", q));
  if (r.empty()) return Unknown("sku", "product", "产品", sku);
  return c.products[sku] = store::AsInt(r.rows[0][0]);
}

Result<UserInfo> Ingestor::Impl::FindUser(store::Connection& conn, int64_t tenant, Cache& c, const std::string& username) {
  if (auto it = c.users.find(username); it != c.users.end()) return it->second;
  Value q[] = {tenant, username};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT id, unit_id FROM users WHERE tenant_id = ? AND username = ? AND status = 'active'", q));
  if (r.empty()) return Bad("rep", "validation.reference", "no active user '" + username + "'", "不存在有效用户 '" + username + "'");
  UserInfo u{store::AsInt(r.rows[0][0]), store::AsInt(r.rows[0][1])};
  c.users_by_id[u.id] = u;
  return c.users[username] = u;
}

Result<UserInfo> Ingestor::Impl::UserById(store::Connection& conn, int64_t tenant, Cache& c, int64_t id) {
  if (auto it = c.users_by_id.find(id); it != c.users_by_id.end()) return it->second;
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT id, unit_id FROM users WHERE tenant_id = ? AND id = ?", q));
  if (r.empty()) return Status::NotFound("user");
  return c.users_by_id[id] = {store::AsInt(r.rows[0][0]), store::AsInt(r.rows[0][1])};
}

Status Ingestor::Impl::Prepare(store::Connection& conn, const Principal& p, Cache& c, const json& r, Prepared& out) {
  using Kind = Prepared::Kind;
  KEEL_ASSIGN_OR_RETURN(std::string type, TextField(r, "type", true, 64));
  // Who: "rep" (a username) when given, else the store's manager or the customer's owner, else
  // the caller. A rep may only write their own facts.
  auto resolve_owner = [&](int64_t fallback_owner, int64_t fallback_unit) -> Status {
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
  };
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
    out.kind = Kind::kOrder;
    KEEL_ASSIGN_OR_RETURN(out.at, TimeField(r, "at", true));
    KEEL_ASSIGN_OR_RETURN(out.code, TextField(r, "code", true, 64));
    KEEL_ASSIGN_OR_RETURN(out.channel, TextField(r, "channel", false, 32));
    if (out.channel.empty()) out.channel = store.id ? "store" : "online";
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
    if (store.id) out.unit = store.unit;
    return resolve_owner(store.manager ? store.manager : customer.owner, store.manager ? store.unit : customer.unit);
  }
  if (type == "activity") {
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
    return resolve_owner(customer.owner, customer.unit);
  }
  if (type == "signal") {
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
    out.owner = customer.owner;
    out.unit = customer.unit;
    return Status();
  }
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
  return resolve_owner(customer.owner, customer.unit);
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

Status Ingestor::Impl::WriteGroup(std::vector<std::shared_ptr<Batch>>& group, std::vector<std::vector<int>>& outcome) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  std::set<int64_t> tenants;
  for (const auto& b : group) tenants.insert(b->tenant);
  for (int64_t t : tenants) KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, t));
  std::string now = FormatTimestamp(clock.NowMs());
  std::map<int64_t, std::vector<events::Event>> evs;
  outcome.assign(group.size(), {});
  for (size_t g = 0; g < group.size(); ++g) {
    Batch& b = *group[g];
    outcome[g].assign(b.records.size(), 0);
    size_t need = 0;
    for (const auto& r : b.records) need += r.kind == Prepared::Kind::kCustom ? 0 : 1;
    std::vector<int64_t> ids;
    if (need) {
      KEEL_ASSIGN_OR_RETURN(ids, conn->AllocateIds(static_cast<int64_t>(need)));
    }
    size_t next = 0;
    for (size_t i = 0; i < b.records.size(); ++i) {
      Prepared& r = b.records[i];
      if (!r.key.empty()) {
        Value k[] = {b.tenant, r.key, int64_t{0}, now};
        KEEL_ASSIGN_OR_RETURN(int64_t fresh, conn->Exec(
            "INSERT INTO ingest_keys (tenant_id, key, seq, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, key) DO NOTHING", k));
        if (fresh == 0) {
          outcome[g][i] = 1;
          if (r.kind != Prepared::Kind::kCustom) ++next;
          continue;
        }
      }
      std::string at = FormatTimestamp(r.at);
      events::Event ev;
      ev.at = r.at;
      ev.actor_id = b.actor;
      auto opt_id = [](int64_t v) { return v ? Value(v) : Value(); };
      auto opt_text = [](const std::string& v) { return v.empty() ? Value() : Value(v); };
      switch (r.kind) {
        case Prepared::Kind::kOrder: {
          int64_t id = ids[next++];
          Value o[] = {b.tenant, id, r.code, opt_id(r.store), opt_id(r.customer), r.owner, r.unit, r.channel, r.status, at,
                       r.currency, r.total, r.discount_total, static_cast<int64_t>(r.lines.size()), now, now, opt_id(b.actor)};
          auto ins = conn->Exec("INSERT INTO orders (tenant_id, id, code, store_id, customer_id, owner_id, unit_id, channel, status, "
                                "ordered_at, currency, total, discount_total, line_count, created_at, updated_at, created_by) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", o);
          if (!ins.ok()) return ins.status();
          json lines = json::array();
          for (size_t n = 0; n < r.lines.size(); ++n) {
            const Line& l = r.lines[n];
            Value lq[] = {b.tenant, id, static_cast<int64_t>(n + 1), l.product, l.qty, l.unit_price, l.discount, l.amount};
            KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO order_lines (tenant_id, order_id, line_no, product_id, qty, unit_price, "
                                            "discount, amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", lq).status());
            lines.push_back({{"line_no", n + 1}, {"product_id", l.product}, {"qty", l.qty}, {"unit_price", l.unit_price / 100.0},
                             {"discount", l.discount / 100.0}, {"amount", l.amount / 100.0}});
          }
          ev.type = "order.created";
          ev.entity = "orders";
          ev.entity_id = id;
          ev.payload = json{{"id", id}, {"code", r.code}, {"store_id", r.store ? json(r.store) : json(nullptr)},
                            {"customer_id", r.customer ? json(r.customer) : json(nullptr)}, {"member_id", nullptr},
                            {"promotion_id", nullptr}, {"owner_id", r.owner}, {"unit_id", r.unit}, {"channel", r.channel},
                            {"status", r.status}, {"ordered_at", at}, {"currency", r.currency}, {"total", r.total / 100.0},
                            {"discount_total", r.discount_total / 100.0}, {"line_count", r.lines.size()}, {"lines", lines},
                            {"created_at", at}, {"updated_at", now}, {"archived_at", nullptr}, {"created_by", b.actor}}.dump();
          break;
        }
        case Prepared::Kind::kActivity: {
          int64_t id = ids[next++];
          Value a[] = {b.tenant, id, r.akind, opt_text(r.subject), opt_text(r.notes), at, r.duration >= 0 ? Value(r.duration) : Value(),
                       opt_text(r.outcome), opt_id(r.customer), opt_id(r.store), r.owner, r.unit, now, now, opt_id(b.actor)};
          KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO activities (tenant_id, id, kind, subject, notes, occurred_at, duration_min, outcome, "
                                          "customer_id, store_id, owner_id, unit_id, created_at, updated_at, created_by) "
                                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", a).status());
          ev.type = "activity.created";
          ev.entity = "activities";
          ev.entity_id = id;
          ev.payload = json{{"id", id}, {"kind", r.akind}, {"subject", r.subject.empty() ? json(nullptr) : json(r.subject)},
                            {"notes", r.notes.empty() ? json(nullptr) : json(r.notes)}, {"occurred_at", at},
                            {"duration_min", r.duration >= 0 ? json(r.duration) : json(nullptr)},
                            {"outcome", r.outcome.empty() ? json(nullptr) : json(r.outcome)},
                            {"customer_id", r.customer ? json(r.customer) : json(nullptr)}, {"lead_id", nullptr}, {"opportunity_id", nullptr},
                            {"store_id", r.store ? json(r.store) : json(nullptr)}, {"owner_id", r.owner}, {"unit_id", r.unit},
                            {"created_at", at}, {"updated_at", now}}.dump();
          break;
        }
        case Prepared::Kind::kSignal: {
          int64_t id = ids[next++];
          Value s[] = {b.tenant, id, r.skind, r.source, r.title, opt_text(r.body), opt_text(r.url), opt_id(r.customer),
                       std::isnan(r.sentiment) ? Value() : Value(r.sentiment), opt_id(r.owner), opt_id(r.unit), at, now};
          KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO signals (tenant_id, id, kind, source, title, body, url, customer_id, sentiment, "
                                          "owner_id, unit_id, occurred_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", s).status());
          ev.type = "signal.received";
          ev.entity = "signals";
          ev.entity_id = id;
          ev.payload = json{{"id", id}, {"kind", r.skind}, {"source", r.source}, {"title", r.title},
                            {"sentiment", std::isnan(r.sentiment) ? json(nullptr) : json(r.sentiment)},
                            {"customer_id", r.customer ? json(r.customer) : json(nullptr)},
                            {"owner_id", r.owner ? json(r.owner) : json(nullptr)}, {"unit_id", r.unit ? json(r.unit) : json(nullptr)},
                            {"url", r.url}, {"created_at", at}}.dump();
          break;
        }
        case Prepared::Kind::kCustom: {
          ev.type = "custom." + r.type;
          ev.entity = "custom";
          ev.entity_id = 0;
          ev.payload = json{{"data", r.data}, {"owner_id", r.owner}, {"unit_id", r.unit},
                            {"customer_id", r.customer ? json(r.customer) : json(nullptr)}, {"created_at", at}}.dump();
          break;
        }
      }
      evs[b.tenant].push_back(std::move(ev));
    }
  }
  for (auto& [t, list] : evs) KEEL_RETURN_IF_ERROR(events::Append(*conn, t, list).status());
  return tx.Commit();
}

void Ingestor::Impl::Run() {
  while (true) {
    std::vector<std::shared_ptr<Batch>> group;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return stop || !queue.empty(); });
      if (queue.empty()) return;
      size_t n = 0;
      while (!queue.empty() && (group.empty() || n + queue.front()->records.size() <= opt.group_records)) {
        n += queue.front()->records.size();
        group.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    std::vector<std::vector<int>> outcome;
    Status st = WriteGroup(group, outcome);
    if (!st.ok() && group.size() > 1) {
      // One request's record broke the shared transaction (e.g. a duplicate order code that
      // raced another request): write each request on its own so the others still land.
      for (auto& b : group) {
        std::vector<std::shared_ptr<Batch>> one = {b};
        std::vector<std::vector<int>> o;
        Status s1 = WriteGroup(one, o);
        if (s1.ok()) b->done.set_value(std::move(o[0]));
        else b->done.set_value(s1);
      }
    } else if (!st.ok()) {
      group[0]->done.set_value(st);
    } else {
      for (size_t g = 0; g < group.size(); ++g) group[g]->done.set_value(std::move(outcome[g]));
    }
    size_t n = 0;
    for (const auto& b : group) n += b->records.size();
    written.fetch_add(static_cast<int64_t>(n));
    groups.fetch_add(1);
    std::lock_guard lock(mu);
    queued -= n;
  }
}

Ingestor::Ingestor(store::Database& db, domain::RecordService& records, const Clock& clock, IngestOptions options)
    : impl_(std::make_unique<Impl>(db, records, clock, options)) {}

Ingestor::~Ingestor() { Stop(); }

void Ingestor::Start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->started) return;
  impl_->started = true;
  impl_->stop = false;
  impl_->writer = std::thread([impl = impl_.get()] { impl->Run(); });
}

void Ingestor::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->started) return;
    impl_->stop = true;
    impl_->started = false;
  }
  impl_->cv.notify_all();
  if (impl_->writer.joinable()) impl_->writer.join();
}

Ingestor::Stats Ingestor::stats() const {
  return {impl_->written.load(), impl_->groups.load(), impl_->busy.load()};
}

Result<IngestReport> Ingestor::Ingest(const Principal& p, std::string_view body, std::string_view content_type,
                                      const std::string& idempotency_key) {
  std::string ct(content_type.substr(0, content_type.find(';')));
  std::vector<json> records;
  IngestReport bad_lines;
  if (ct == "application/x-ndjson" || ct == "application/ndjson" || ct == "application/jsonl") {
    size_t line = 0, start = 0;
    while (start < body.size()) {
      size_t end = body.find('\n', start);
      if (end == std::string_view::npos) end = body.size();
      std::string_view text = body.substr(start, end - start);
      start = end + 1;
      if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      if (records.size() + bad_lines.errors.size() >= impl_->opt.max_records) {
        return Status::Error(ErrorKind::kPayloadTooLarge, "ingest.too_many", "at most " + std::to_string(impl_->opt.max_records) + " records per request",
                             "每次请求最多 " + std::to_string(impl_->opt.max_records) + " 条记录");
      }
      json j;
      try {
        j = json::parse(text, nullptr, false);
      } catch (const json::exception&) {  // e.g. a number too large for a double
        j = json(json::value_t::discarded);
      }
      if (j.is_discarded() || !j.is_object()) {
        // A malformed line is that record's error; the other lines still count.
        bad_lines.errors.push_back({line, Status::Invalid("validation.json", "line " + std::to_string(line + 1) + " is not a JSON object",
                                                          "第 " + std::to_string(line + 1) + " 行不是 JSON 对象", "line " + std::to_string(line + 1))});
        records.emplace_back(nullptr);
      } else {
        records.push_back(std::move(j));
      }
      ++line;
    }
  } else if (ct == "application/json" || ct.empty()) {
    json j;
    try {
      j = json::parse(body, [](int depth, json::parse_event_t, json&) { return depth <= 32; });
    } catch (const json::parse_error& e) {
      return Status::Invalid("validation.json", "malformed JSON at byte " + std::to_string(e.byte),
                             "JSON 格式错误，位置：第 " + std::to_string(e.byte) + " 字节", "body@" + std::to_string(e.byte));
    } catch (const json::exception& e) {  // e.g. a number too large for a double
      return Status::Invalid("validation.json", std::string("malformed JSON: ") + e.what(), std::string("JSON 格式错误：") + e.what(), "body");
    }
    if (j.is_object()) j = json::array({j});
    if (!j.is_array()) return Status::Invalid("validation.body", "send a JSON array of records (or NDJSON)", "请发送记录的 JSON 数组（或 NDJSON）", "body");
    if (j.size() > impl_->opt.max_records) {
      return Status::Error(ErrorKind::kPayloadTooLarge, "ingest.too_many", "at most " + std::to_string(impl_->opt.max_records) + " records per request",
                           "每次请求最多 " + std::to_string(impl_->opt.max_records) + " 条记录");
    }
    records.reserve(j.size());
    for (auto& r : j) records.push_back(std::move(r));
  } else {
    return Status::Error(ErrorKind::kInvalid, "http.unsupported_media_type", "send application/json or application/x-ndjson",
                         "请求体须为 application/json 或 application/x-ndjson");
  }
  auto report = IngestRecords(p, std::move(records), idempotency_key);
  if (!report.ok()) return report;
  for (auto& e : bad_lines.errors) report->errors.push_back(std::move(e));
  std::sort(report->errors.begin(), report->errors.end(), [](const RecordError& a, const RecordError& b) { return a.index < b.index; });
  return report;
}

Result<IngestReport> Ingestor::IngestRecords(const Principal& p, std::vector<json> records, const std::string& idempotency_key) {
  if (domain::IsReadOnly(p.role)) {
    return Status::Error(ErrorKind::kForbidden, "auth.forbidden", "your role may not send facts", "您的角色不能提交数据");
  }
  if (idempotency_key.size() > 200) return Status::Invalid("ingest.key", "Idempotency-Key is longer than 200 bytes", "Idempotency-Key 超过 200 字节", "Idempotency-Key");
  IngestReport report;
  report.received = records.size();
  Cache& cache = impl_->CacheOf(p.tenant_id);
  auto batch = std::make_shared<Batch>();
  batch->tenant = p.tenant_id;
  batch->actor = p.user_id;
  std::vector<size_t> via_records;  // leads and stage changes go through the record service
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    std::lock_guard lock(cache.mu);
    if (!cache.loaded) KEEL_RETURN_IF_ERROR(impl_->Load(*conn, p.tenant_id, cache));
    std::set<std::string> keys, codes;
    for (size_t i = 0; i < records.size(); ++i) {
      const json& r = records[i];
      if (r.is_null()) continue;  // a malformed NDJSON line, reported by the caller
      if (!r.is_object()) {
        report.errors.push_back({i, Status::Invalid("validation.type", "a record is a JSON object", "每条记录须为 JSON 对象", "")});
        continue;
      }
      std::string type = Str(r, "type");
      if (type == "lead" || type == "stage_change") {
        via_records.push_back(i);
        continue;
      }
      Prepared prep;
      prep.index = i;
      Status st;
      if (auto id = r.find("id"); id != r.end() && !id->is_null()) {
        if (!id->is_string() || id->get_ref<const std::string&>().empty() || id->get_ref<const std::string&>().size() > 200) {
          st = Status::Invalid("ingest.key", "id (the idempotency key) is text of 1-200 bytes", "id（幂等键）须为 1-200 字节的文本", "id");
        } else {
          prep.key = "r:" + id->get<std::string>();
        }
      } else if (!idempotency_key.empty()) {
        prep.key = "h:" + idempotency_key + "#" + std::to_string(i);
      }
      if (st.ok() && !prep.key.empty() && !keys.insert(prep.key).second) {
        report.duplicates++;
        report.duplicate_indexes.push_back(i);
        continue;
      }
      if (st.ok()) st = impl_->Prepare(*conn, p, cache, r, prep);
      if (st.ok()) st = impl_->CheckScope(*conn, p, prep);
      if (st.ok() && prep.kind == Prepared::Kind::kOrder && !codes.insert(prep.code).second) {
        st = Status::Error(ErrorKind::kConflict, "conflict.duplicate", "order code '" + prep.code + "' appears twice in this request",
                           "订单号 '" + prep.code + "' 在本次请求中重复", "code");
      }
      if (!st.ok()) {
        report.errors.push_back({i, st});
        continue;
      }
      batch->records.push_back(std::move(prep));
    }
    // Order codes already taken (by another request, or earlier) are refused per record —
    // unless the record is a retry with the same key, which is reported as a duplicate.
    // One query per 500 codes, not one per order.
    std::set<std::string> taken;
    {
      std::vector<const std::string*> order_codes;
      for (const auto& prep : batch->records) {
        if (prep.kind == Prepared::Kind::kOrder) order_codes.push_back(&prep.code);
      }
      for (size_t from = 0; from < order_codes.size(); from += 500) {
        size_t n = std::min<size_t>(500, order_codes.size() - from);
        std::string sql = "SELECT code FROM orders WHERE tenant_id = ? AND code IN (?";
        std::vector<Value> params = {p.tenant_id, *order_codes[from]};
        for (size_t i = 1; i < n; ++i) {
          sql += ", ?";
          params.emplace_back(*order_codes[from + i]);
        }
        KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn->Query(sql + ")", params));
        for (const auto& row : rows.rows) taken.insert(store::AsText(row[0]));
      }
    }
    std::vector<Prepared> kept;
    for (auto& prep : batch->records) {
      if (prep.kind == Prepared::Kind::kOrder) {
        if (taken.count(prep.code)) {
          bool retry = false;
          if (!prep.key.empty()) {
            Value k[] = {p.tenant_id, prep.key};
            KEEL_ASSIGN_OR_RETURN(store::Rows seen, conn->Query("SELECT 1 FROM ingest_keys WHERE tenant_id = ? AND key = ?", k));
            retry = !seen.empty();
          }
          if (retry) {
            report.duplicates++;
            report.duplicate_indexes.push_back(prep.index);
          } else {
            report.errors.push_back({prep.index, Status::Error(ErrorKind::kConflict, "conflict.duplicate",
                                                               "an order with code '" + prep.code + "' exists",
                                                               "订单号 '" + prep.code + "' 已存在", "code")});
          }
          continue;
        }
      }
      kept.push_back(std::move(prep));
    }
    batch->records = std::move(kept);
  }
  // Leads and stage changes: the record service applies their rules (lead flow, legal moves).
  for (size_t i : via_records) {
    const json& r = records[i];
    Result<json> done = Status();
    if (Str(r, "type") == "lead") {
      json body = r;
      body.erase("type");
      body.erase("id");
      if (body.contains("rep")) {
        auto u = domain::FindEntity("users");
        std::string rep = Str(body, "rep");
        auto found = impl_->records.List(Principal::System(p.tenant_id), *u, {{"username", rep}});
        if (!found.ok() || found->items.empty()) {
          report.errors.push_back({i, Status::Invalid("validation.reference", "no user '" + rep + "'",
                                                      "不存在用户 '" + rep + "'", "rep")});
          continue;
        }
        body["owner_id"] = found->items[0]["id"];
        body.erase("rep");
      }
      done = impl_->records.Create(p, *domain::FindEntity("leads"), body);
    } else {
      if (!r.contains("opportunity_id") || !r["opportunity_id"].is_number_integer()) {
        report.errors.push_back({i, Status::Invalid("validation.required", "opportunity_id is required", "opportunity_id 为必填项", "opportunity_id")});
        continue;
      }
      json patch = {{"stage", r.contains("stage") ? r["stage"] : json(nullptr)}};
      if (r.contains("loss_reason")) patch["loss_reason"] = r["loss_reason"];
      done = impl_->records.Update(p, *domain::FindEntity("opportunities"), r["opportunity_id"].get<int64_t>(), patch);
    }
    if (done.ok()) report.accepted++;
    else report.errors.push_back({i, done.status()});
  }
  if (!batch->records.empty()) {
    size_t n = batch->records.size();
    auto fut = batch->done.get_future();
    {
      std::lock_guard lock(impl_->mu);
      if (!impl_->started) return Status::Error(ErrorKind::kUnavailable, "ingest.stopped", "ingestion is not running", "数据接入未运行");
      if (impl_->queued + n > impl_->opt.queue_records && impl_->queued > 0) {
        impl_->busy.fetch_add(1);
        return Status::Error(ErrorKind::kTooManyRequests, "ingest.busy",
                             "the writer is saturated; retry after " + std::to_string(impl_->opt.retry_after_s) + " s",
                             "写入繁忙，请 " + std::to_string(impl_->opt.retry_after_s) + " 秒后重试");
      }
      impl_->queued += n;
      impl_->queue.push_back(batch);
    }
    impl_->cv.notify_all();
    Result<std::vector<int>> outcome = fut.get();
    if (!outcome.ok()) return outcome.status();
    for (size_t k = 0; k < n; ++k) {
      if ((*outcome)[k] == 1) {
        report.duplicates++;
        report.duplicate_indexes.push_back(batch->records[k].index);
      } else {
        report.accepted++;
      }
    }
  }
  std::sort(report.errors.begin(), report.errors.end(), [](const RecordError& a, const RecordError& b) { return a.index < b.index; });
  std::sort(report.duplicate_indexes.begin(), report.duplicate_indexes.end());
  return report;
}

Result<IngestReport> Ingestor::ImportCsv(const Principal& p, const std::string& type, std::string_view csv,
                                         const std::function<void(size_t, size_t)>& progress, size_t chunk) {
  static const std::set<std::string> kBuiltin = {"order", "activity", "signal", "lead"};
  std::vector<std::string> numbers;
  if (!kBuiltin.count(type)) {
    Cache& c = impl_->CacheOf(p.tenant_id);
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    std::lock_guard lock(c.mu);
    if (!c.loaded) KEEL_RETURN_IF_ERROR(impl_->Load(*conn, p.tenant_id, c));
    auto spec = c.types.find(type);
    if (spec == c.types.end()) {
      return Status::Invalid("ingest.unknown_type", "unknown type '" + type + "' (order, activity, signal, lead, or a custom event type)",
                             "未知的类型 '" + type + "'（order、activity、signal、lead 或自定义事件类型）", "type");
    }
    for (const auto& f : spec->second.fields) {
      if (f.type == "number") numbers.push_back(f.name);
    }
  }
  std::vector<size_t> line_of_row;
  KEEL_ASSIGN_OR_RETURN(auto rows, ParseCsv(csv, &line_of_row));
  KEEL_ASSIGN_OR_RETURN(CsvRecords parsed, RowsToRecords(rows, line_of_row, type, numbers));
  std::string file_key = "csv:" + Sha256Hex(csv).substr(0, 24);
  IngestReport total;
  total.received = parsed.records.size();
  chunk = std::max<size_t>(1, chunk);
  for (size_t from = 0; from < parsed.records.size(); from += chunk) {
    size_t n = std::min(chunk, parsed.records.size() - from);
    std::vector<json> part(parsed.records.begin() + static_cast<std::ptrdiff_t>(from),
                           parsed.records.begin() + static_cast<std::ptrdiff_t>(from + n));
    for (size_t i = 0; i < n; ++i) {
      if (!part[i].contains("id")) part[i]["id"] = file_key + ":" + std::to_string(from + i);
    }
    KEEL_ASSIGN_OR_RETURN(IngestReport r, IngestRecords(p, std::move(part)));
    total.accepted += r.accepted;
    total.duplicates += r.duplicates;
    for (auto& e : r.errors) {
      size_t line = parsed.lines[from + e.index];
      std::string field = "line " + std::to_string(line) + (e.status.field().empty() ? "" : ": " + e.status.field());
      total.errors.push_back({from + e.index, e.status.WithField(field)});
    }
    for (size_t d : r.duplicate_indexes) total.duplicate_indexes.push_back(from + d);
    if (progress) progress(from + n, parsed.records.size());
  }
  return total;
}

Result<json> Ingestor::ListTypes(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  Value q[] = {p.tenant_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn->Query(
      "SELECT name, version, definition, created_at FROM event_types WHERE tenant_id = ? AND status = 'active' ORDER BY name", q));
  json items = json::array();
  for (const auto& r : rows.rows) {
    json d = json::parse(store::AsText(r[2]), nullptr, false);
    d["version"] = store::AsInt(r[1]);
    d["created_at"] = store::AsText(r[3]);
    items.push_back(std::move(d));
  }
  return json{{"items", items}};
}

Result<json> Ingestor::SaveType(const Principal& p, const json& b) {
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
  Value q[] = {p.tenant_id, name};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query("SELECT version, definition FROM event_types WHERE tenant_id = ? AND name = ?", q));
  int64_t version = r.empty() ? 1 : store::AsInt(r.rows[0][0]) + 1;
  json before = r.empty() ? json(nullptr) : json::parse(store::AsText(r.rows[0][1]), nullptr, false);
  if (before.is_discarded()) before = nullptr;
  TimeMs now = impl_->clock.NowMs();
  Value up[] = {p.tenant_id, name, version, def.dump(), std::string("active"), FormatTimestamp(now), p.user_id};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO event_types (tenant_id, name, version, definition, status, created_at, created_by) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, name) DO UPDATE SET version = excluded.version, "
                                  "definition = excluded.definition, status = excluded.status", up).status());
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
  def["version"] = version;
  return def;
}

}  // namespace keel::ingest
