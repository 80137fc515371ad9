// The tenant's custom field definitions (custom_fields.h), read by column name.
#include "domain/custom_fields.h"

namespace keel::domain {

using json = nlohmann::json;
using store::Value;

namespace {

CustomFieldDef FromRow(store::Row row) {
  CustomFieldDef d;
  d.id = row.Int("id");
  d.entity = row.Text("entity");
  d.name = row.Text("name");
  d.type = row.Text("type");
  d.label = row.Text("label");
  d.label_en = row.Null("label_en") ? d.name : row.Text("label_en");
  d.required = !row.Null("required") && row.Int("required") != 0;
  d.ai_feature = row.Null("ai_feature") || row.Int("ai_feature") != 0;
  json o = row.Null("options") ? json::object() : json::parse(row.Text("options"), nullptr, false);
  if (o.is_object()) {
    if (o.contains("values") && o["values"].is_array()) {
      for (const auto& v : o["values"]) {
        if (v.is_string()) d.values.push_back(v.get<std::string>());
      }
    }
    if (o.contains("min") && o["min"].is_number()) d.min = o["min"].get<double>();
    if (o.contains("max") && o["max"].is_number()) d.max = o["max"].get<double>();
    if (o.contains("max_len") && o["max_len"].is_number_integer()) d.max_len = o["max_len"].get<int>();
  }
  return d;
}

constexpr const char* kSelect =
    "SELECT id, entity, name, type, label, label_en, options, required, ai_feature FROM custom_fields "
    "WHERE tenant_id = ? AND archived_at IS NULL";

}  // namespace

Result<std::vector<CustomFieldDef>> LoadCustomFields(store::Connection& conn, int64_t tenant, const std::string& entity) {
  Value p[] = {tenant, entity};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(std::string(kSelect) + " AND entity = ? ORDER BY name", p));
  std::vector<CustomFieldDef> out;
  for (store::Row row : r) out.push_back(FromRow(row));
  return out;
}

Result<std::vector<CustomFieldDef>> LoadAllCustomFields(store::Connection& conn, int64_t tenant) {
  Value p[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(std::string(kSelect) + " ORDER BY entity, name", p));
  std::vector<CustomFieldDef> out;
  for (store::Row row : r) out.push_back(FromRow(row));
  return out;
}

}  // namespace keel::domain
