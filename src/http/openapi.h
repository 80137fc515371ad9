// The OpenAPI 3.1 document (Api::OpenApi, built from the route table) and the pieces the route
// registrations share with it: entity schema names and $refs, the list envelope, and the stable
// operation ids. docs/api.md says what integrators may rely on; tests/http/api_test.cc and
// tests/lint/openapi_lint.sh (Redocly's recommended ruleset) keep the document correct.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/schema.h"
#include "http/router.h"

namespace keel::http {

using json = nlohmann::json;

// The deprecated spellings of routes (Api::AddDeprecatedRoutes): since when, as an RFC 9745
// structured-field date (2026-12-07T00:00:00Z), and the release that removes them (docs/api.md).
inline constexpr const char* kDeprecatedSince = "@1796601600";
inline constexpr const char* kDeprecatedRemovedIn = "0.2.0";

// Builders for the JSON Schemas (2020-12) of request and response bodies, so that a route's schema
// reads like the body it describes: Obj({{"id", Int()}, {"name", Str("shown to customers")}}, {"id"}).
// A description may be English alone or "English / 中文".
namespace schema {
json Str(const std::string& desc = "");
json Int(const std::string& desc = "");
json Num(const std::string& desc = "");
json Bool(const std::string& desc = "");
json Time(const std::string& desc = "");  // an RFC 3339 timestamp
json Date(const std::string& desc = "");  // YYYY-MM-DD
json Enum(const std::vector<std::string>& values, const std::string& desc = "");
// `s` or null: the type becomes [type, "null"] (and null joins an enum); a $ref becomes anyOf.
json Null(json s);
json Arr(json items, const std::string& desc = "");
// An object with these properties (name → schema); `required` are always present.
json Obj(json properties, const std::vector<std::string>& required = {}, const std::string& desc = "");
// An object whose keys are data (ids, names) and whose values all match `values`.
json Map(json values, const std::string& desc = "");
// An object whose shape is the caller's (a record's changes, a stored definition): any properties.
json Free(const std::string& desc);
// {items: [item]}, as a list route answers when it does not page.
json Items(json item, const std::string& desc = "");
}  // namespace schema

// A shape several routes answer with (an approval request, a job, a model card), registered once
// under #/components/schemas by the part that owns it; returns its $ref. The document lists the
// components its operations refer to. Thread-safe; registering a name again with a different
// schema is a programmer error (it aborts).
json Component(const std::string& name, json schema);

// "Customer", "BudgetTransfer": an entity's schema name under #/components/schemas.
std::string EntityTitle(const domain::EntityDef& e);
// {"$ref": "#/components/schemas/<name>"}
json SchemaRef(const std::string& name);
// A page of `ref`: {items: [ref], next_cursor}.
json ListSchema(const std::string& ref);
// An entity's fields as a JSON Schema (2020-12): optional and read-only fields may be null.
json EntitySchema(const domain::EntityDef& e);
// The operation's stable camelCase id (docs/api.md): `doc.operation_id`, an override for a route
// whose path reads badly as a name, or derived from the method and path — list<Collection>,
// create<Thing>, get<Thing>, update<Thing>, replace<Thing>, delete<Thing>, <action><Thing>.
// A deprecated spelling's id is its successor's with the suffix "Deprecated".
std::string OperationId(const Route& r);
// The part of Keel a tag belongs to (the document's x-tagGroups): "Records", "Units & approvals"…
const char* PartOf(const std::string& tag);

}  // namespace keel::http
