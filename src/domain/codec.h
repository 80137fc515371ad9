// Field codec: JSON ⇄ stored values for the types in schema.h, with precise en/zh errors.
// Internal to the domain part.
#pragma once

#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "domain/schema.h"
#include "store/database.h"

namespace keel::domain {

// The column a field is stored in (a password is stored as its hash).
std::string ColumnOf(const FieldDef& f);
// Validates `v` against `f` and converts it to its stored form (`v` is one field of a record
// document, so JSON: it is whatever the user sent). JSON null gives NULL.
// Passwords are hashed. Errors carry the field name.
Result<store::Value> ToValue(const FieldDef& f, const nlohmann::json& v);
// Parses a query-string value (filters, cursors) for `f`.
Result<store::Value> ParamToValue(const FieldDef& f, const std::string& text);
nlohmann::json FromValue(const FieldDef& f, const store::Value& v);
// Counts code points; -1 when `s` is not valid UTF-8.
int Utf8Length(const std::string& s);
// The body must be a JSON object whose keys are all in `allowed` (validation.body /
// validation.unknown_field with the key). A check of a request body as received, hence JSON.
Status CheckObject(const nlohmann::json& body, std::initializer_list<const char*> allowed);
// Common error builders.
Status TypeError(const FieldDef& f, const char* expected_en, const char* expected_zh);

}  // namespace keel::domain
