// Conditions over records (条件): formulas in the formula language that see a record's fields —
// used by approval workflows (entry and step conditions) and compliance checkpoints. Internal to
// the org part. Stateless and thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/schema.h"
#include "formula/formula.h"

namespace keel::org {

// The record's fields as formula fields: numbers (money in yuan), text, booleans, dates. Hidden,
// JSON and password fields are left out. With `lines` and an entity that has child lines, each
// line field is added as `line_<name>`, plus `line_category` and `line_sku` (the product's).
std::vector<formula::FieldInfo> FormulaFields(const domain::EntityDef& e, bool lines = false);

// Records are JSON here on purpose: the record service's free-form field map of any entity
// (custom fields included), the same shape workflows snapshot and checkpoints evaluate.

// A JSON value as a formula value of type `t` (blank when it does not fit).
formula::Value ValueOf(const nlohmann::json& v, formula::Type t);

// Compiles `src` as a boolean condition on `e`'s records; a compile error names `field`.
Result<formula::Formula> Condition(const domain::EntityDef& e, const std::string& src, const std::string& field,
                                   bool lines = false);

// Whether `src` holds for `record` (an empty condition holds; one that does not compile does not).
bool Holds(const domain::EntityDef& e, const std::string& src, const nlohmann::json& record, TimeMs now);

// Whether a condition compiled with `lines` holds for `record`: once per element of
// record["lines"] (each with `line_*` filled in), or once with blank line fields when there are
// none. True when any evaluation holds.
bool HoldsOnAnyLine(const domain::EntityDef& e, const formula::Formula& f, const nlohmann::json& record, TimeMs now);

}  // namespace keel::org
