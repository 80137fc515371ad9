// Master data for enrichment and the extraction of facts from events.
#include <cmath>

#include "metrics/internal.h"
#include "metrics/store.h"
#include "store/database.h"

namespace keel::metrics {
namespace {

using formula::Type;
using formula::Value;
using json = nlohmann::json;

int64_t IntOf(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  return it->get<int64_t>();
}
double NumOf(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  return it->get<double>();
}
std::string_view TextOf(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get_ref<const std::string&>();
}
TimeMs TimeOf(const json& j, const char* key, TimeMs fallback) {
  std::string_view t = TextOf(j, key);
  if (t.empty()) return fallback;
  auto r = ParseTimestamp(t);
  return r.ok() ? *r : fallback;
}

Value FromJson(const json* v, Type type) {
  if (v == nullptr || v->is_null()) return Value::Blank();
  if (v->is_number()) {
    double d = v->get<double>();
    return std::isfinite(d) ? Value::Number(d) : Value::Blank();
  }
  if (v->is_boolean()) return Value::Bool(v->get<bool>());
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    if (type == Type::kDateTime) {
      auto t = ParseTimestamp(s);
      return t.ok() ? Value::DateTime(*t) : Value::Blank();
    }
    if (type == Type::kDate) {
      auto d = ParseDate(s);
      return d.ok() ? Value::Date(*d) : Value::Blank();
    }
    return Value::Text(s);
  }
  return Value::Blank();
}

Value Id(int64_t v) { return v == 0 ? Value::Blank() : Value::Number(static_cast<double>(v)); }
Value TextId(const Master& m, int64_t id) { return id <= 0 ? Value::Blank() : Value::Text(m.texts[static_cast<size_t>(id)]); }

int64_t CategoryOf(Master& m, std::string_view path) {
  // The second level ("家电/冰箱/三门" → "冰箱"), or the first when there is only one.
  size_t a = path.find('/');
  if (a == std::string_view::npos) return m.Intern(path);
  size_t b = path.find('/', a + 1);
  return m.Intern(path.substr(a + 1, b == std::string_view::npos ? std::string_view::npos : b - a - 1));
}

void UpsertProduct(Master& m, int64_t id, const json& r) {
  ProductInfo& p = m.products[id];
  std::string_view path = TextOf(r, "category_path");
  if (!path.empty()) {
    p.category_path = m.Intern(path);
    p.category = CategoryOf(m, path);
  }
  if (r.contains("sku")) p.sku = m.Intern(TextOf(r, "sku"));
  if (r.contains("cost")) p.cost = NumOf(r, "cost");
}

}  // namespace

int64_t Master::AncestorOfKind(int64_t unit, const std::string& kind) const {
  for (int depth = 0; unit != 0 && depth < 64; ++depth) {
    auto it = units.find(unit);
    if (it == units.end()) return 0;
    if (it->second.kind == kind) return unit;
    unit = it->second.parent;
  }
  return 0;
}

bool IsUpdateOf(const SourceInfo& s, const std::string& event_type) {
  const std::string& c = s.event_type;
  return !s.custom && c.size() > 8 && c.compare(c.size() - 8, 8, ".created") == 0 &&
         event_type.size() == c.size() && event_type.compare(0, c.size() - 8, c, 0, c.size() - 8) == 0 &&
         event_type.compare(event_type.size() - 8, 8, ".updated") == 0;
}

bool SourceReads(const SourceInfo& s, const std::string& event_type) {
  return s.event_type == event_type || IsUpdateOf(s, event_type);
}

int64_t DimValue(const Value& v, bool is_text, Master& master) {
  if (v.type == Type::kBlank || v.type == Type::kError) return 0;
  if (is_text) {
    if (v.type == Type::kText) return master.Intern(v.text);
    if (v.type == Type::kBool) return master.Intern(v.boolean ? "true" : "false");
    return master.Intern(v.ToString());
  }
  if (v.type == Type::kNumber) return static_cast<int64_t>(v.number);
  return 0;
}

Status LoadMaster(store::Connection& conn, int64_t tenant_id, Master& m) {
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::UnitRow> units, repo::Units(conn, tenant_id));
  for (const auto& r : units) m.units[r.id] = {r.parent_id, r.kind, r.path, r.name};
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::UserRow> users, repo::Users(conn, tenant_id));
  for (const auto& r : users) m.users[r.id] = {r.display_name, r.unit_id, r.supervisor_id};
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::StoreRow> stores, repo::Stores(conn, tenant_id));
  for (const auto& r : stores) m.stores[r.id] = r.name;
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::ProductRow> products, repo::Products(conn, tenant_id));
  for (const auto& r : products) {
    ProductInfo& p = m.products[r.id];
    p.category_path = m.Intern(r.category_path);
    p.category = CategoryOf(m, r.category_path);
    p.sku = m.Intern(r.sku);
    p.cost = r.cost ? static_cast<double>(*r.cost) / 100.0 : 0;
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::CustomerRow> customers, repo::Customers(conn, tenant_id));
  for (const auto& r : customers) m.customer_segment[r.id] = r.segment ? m.Intern(*r.segment) : 0;
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::LeadRow> leads, repo::Leads(conn, tenant_id));
  for (const auto& r : leads) {
    auto created = ParseTimestamp(r.created_at);
    m.leads[r.id] = {created.ok() ? *created : 0, m.Intern(r.source), m.Intern(r.channel), r.owner_id, r.unit_id};
  }
  return Status();
}

void UpdateMaster(const events::Event& ev, const json& payload, Master& m) {
  bool created = ev.type.size() > 8 && ev.type.compare(ev.type.size() - 8, 8, ".created") == 0;
  bool updated = ev.type.size() > 8 && ev.type.compare(ev.type.size() - 8, 8, ".updated") == 0;
  if (!created && !updated) return;
  const json& r = created ? payload : payload.contains("record") ? payload["record"] : payload;
  if (!r.is_object()) return;
  int64_t id = ev.entity_id;
  if (ev.entity == "units") {
    UnitInfo& u = m.units[id];
    u.parent = IntOf(r, "parent_id");
    u.kind = TextOf(r, "kind");
    u.path = TextOf(r, "path");
    u.name = TextOf(r, "name");
  } else if (ev.entity == "users") {
    UserInfo& u = m.users[id];
    u.name = TextOf(r, "display_name");
    u.unit = IntOf(r, "unit_id");
    u.supervisor = IntOf(r, "supervisor_id");
  } else if (ev.entity == "stores") {
    m.stores[id] = TextOf(r, "name");
  } else if (ev.entity == "products") {
    UpsertProduct(m, id, r);
  } else if (ev.entity == "customers") {
    m.customer_segment[id] = m.Intern(TextOf(r, "segment"));
  } else if (ev.entity == "leads") {
    LeadInfo& l = m.leads[id];
    l.created = TimeOf(r, "created_at", ev.at);
    l.source = m.Intern(TextOf(r, "source"));
    l.channel = m.Intern(TextOf(r, "channel"));
    l.owner = IntOf(r, "owner_id");
    l.unit = IntOf(r, "unit_id");
  }
}

void ExtractFacts(const SourceInfo& s, const events::Event& ev, const json& payload, Master& m, FactBuffer& out) {
  out.records.clear();
  out.times.clear();
  const auto& fields = s.fields;
  auto segment_of = [&](int64_t customer) {
    auto it = m.customer_segment.find(customer);
    return it == m.customer_segment.end() ? Value::Blank() : TextId(m, it->second);
  };
  // The common case: each field read from the payload by name.
  auto generic = [&](const json& obj, std::vector<Value>& rec) {
    rec.resize(fields.size());
    for (size_t i = 0; i < fields.size(); ++i) {
      const std::string& name = fields[i].name;
      if (name == "customer_segment") {
        rec[i] = segment_of(IntOf(obj, "customer_id"));
      } else if (name == "geo_region") {
        rec[i] = FromJson(obj.contains("region") ? &obj["region"] : nullptr, fields[i].type);
      } else {
        auto it = obj.find(name);
        rec[i] = FromJson(it == obj.end() ? nullptr : &*it, fields[i].type);
      }
    }
  };
  auto set = [&](std::vector<Value>& rec, const char* name, Value v) {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].name == name) {
        rec[i] = v;
        return;
      }
    }
  };
  if (s.custom) {
    const json& data = payload.contains("data") && payload["data"].is_object() ? payload["data"] : payload;
    out.records.emplace_back();
    generic(data, out.records.back());
    for (const char* k : {"owner_id", "unit_id", "customer_id"}) {
      if (payload.contains(k)) set(out.records.back(), k, Id(IntOf(payload, k)));
    }
    set(out.records.back(), "at", Value::DateTime(ev.at));
    out.times.push_back(ev.at);
    return;
  }
  if (s.name == "order_line") {
    auto lines = payload.find("lines");
    if (lines == payload.end() || !lines->is_array()) return;
    TimeMs at = TimeOf(payload, "ordered_at", ev.at);
    std::vector<Value> base;
    generic(payload, base);
    for (const json& line : *lines) {
      std::vector<Value> rec = base;
      double amount = NumOf(line, "amount"), qty = NumOf(line, "qty");
      int64_t product = IntOf(line, "product_id");
      auto p = m.products.find(product);
      double cost = p == m.products.end() ? 0 : p->second.cost * qty;
      set(rec, "amount", Value::Number(amount));
      set(rec, "qty", Value::Number(qty));
      set(rec, "unit_price", Value::Number(NumOf(line, "unit_price")));
      set(rec, "discount", Value::Number(NumOf(line, "discount")));
      set(rec, "cost", Value::Number(cost));
      set(rec, "margin", Value::Number(amount - cost));
      set(rec, "product_id", Id(product));
      set(rec, "order_id", Id(ev.entity_id));
      if (p != m.products.end()) {
        set(rec, "sku", TextId(m, p->second.sku));
        set(rec, "category", TextId(m, p->second.category));
        set(rec, "category_path", TextId(m, p->second.category_path));
      }
      set(rec, "at", Value::DateTime(at));
      out.records.push_back(std::move(rec));
      out.times.push_back(at);
    }
    return;
  }
  out.records.emplace_back();
  std::vector<Value>& rec = out.records.back();
  generic(payload, rec);
  // A fact happened when its record was created (an update event keeps that time).
  TimeMs at = s.name == "stage_change" ? ev.at : TimeOf(payload, "created_at", ev.at);
  if (s.name == "order") {
    at = TimeOf(payload, "ordered_at", ev.at);
  } else if (s.name == "activity") {
    at = TimeOf(payload, "occurred_at", ev.at);
  } else if (s.name == "customer") {
    set(rec, "customer_id", Id(ev.entity_id));
  } else if (s.name == "stage_change") {
    set(rec, "opportunity_id", Id(ev.entity_id));
  } else if (s.name == "lead_response") {
    at = TimeOf(payload, "first_response_at", ev.at);
    set(rec, "lead_id", Id(ev.entity_id));
    auto l = m.leads.find(ev.entity_id);
    if (l != m.leads.end()) {
      set(rec, "response_minutes", Value::Number(std::max<double>(0, static_cast<double>(at - l->second.created) / 60000.0)));
      set(rec, "source", TextId(m, l->second.source));
      set(rec, "channel", TextId(m, l->second.channel));
      set(rec, "owner_id", Id(l->second.owner));
      set(rec, "unit_id", Id(l->second.unit));
    }
  }
  set(rec, "at", Value::DateTime(at));
  out.times.push_back(at);
}

}  // namespace keel::metrics
