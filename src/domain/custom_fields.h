// Custom fields (自定义字段): a tenant adds its own fields to customers, contacts, leads,
// opportunities and activities without a programmer. A definition is a `custom_fields` record
// (entity, name, type, labels, options, required, ai_feature) written through the generic record
// engine; the values live in the record's `custom` JSON object and are validated at the door
// against the tenant's active definitions with the same codec as built-in fields. Lists filter
// on them (`custom.<name>=…`), and the AI models learn from them (ai/features).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "domain/schema.h"
#include "store/database.h"

namespace keel::domain {

// Entities that carry a `custom` object, and the types a custom field may have.
extern const std::vector<std::string> kCustomFieldEntities;
extern const std::vector<std::string> kCustomFieldTypes;  // string text number int money bool enum date
inline constexpr size_t kMaxCustomFieldsPerEntity = 100;

struct CustomFieldDef {
  int64_t id = 0;
  std::string entity, name, type, label, label_en;
  std::vector<std::string> values;  // enum
  double min = -1e15, max = 1e15;   // number, int, money
  int max_len = 200;                // string, text
  bool required = false, ai_feature = true;

  // The built-in field descriptor the value is checked with; its name is "custom.<name>" so
  // errors point at the exact key.
  FieldDef AsField() const;
  bool numeric() const { return type == "number" || type == "int" || type == "money"; }
};

// The tenant's active (not archived) definitions for `entity`, by name.
Result<std::vector<CustomFieldDef>> LoadCustomFields(store::Connection& conn, int64_t tenant,
                                                     const std::string& entity);
// Every active definition of the tenant.
Result<std::vector<CustomFieldDef>> LoadAllCustomFields(store::Connection& conn, int64_t tenant);

// Validates the `custom` object of a write against `defs` and returns the stored object (JSON:
// the tenant defines its keys):
// creating — `patch` is the whole object (absent = {}), required fields must be there;
// updating — `patch` is merged into `before` key by key, null removes a key.
// Unknown keys, wrong types, out-of-range numbers and missing required fields are 400s whose
// field is "custom.<name>".
Result<nlohmann::json> ApplyCustom(const std::vector<CustomFieldDef>& defs, const nlohmann::json& before,
                                   const nlohmann::json* patch, bool creating);

// Checks and normalises a definition before it is stored (name, options for its type; the
// options are a document the user writes, hence JSON).
// `options` is the definition's options object (may be null); returns the normalised object.
Result<nlohmann::json> CheckCustomFieldDef(const std::string& name, const std::string& type,
                                           const nlohmann::json& options);

}  // namespace keel::domain
