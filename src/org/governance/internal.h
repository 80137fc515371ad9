// Helpers shared by the governance files (boundaries.cc, compliance.cc, sandbox.cc). Not part of
// the org part's API. JSON appears here only for a member's user record (Text) and for the
// before/after snapshots of an audit row, which the audit log stores verbatim.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "domain/model.h"
#include "org/governance/store.h"
#include "store/database.h"

namespace keel::org::governance {

using json = nlohmann::json;
using domain::Principal;

// 403 with a code of its own.
Status Forbidden(const std::string& code, const std::string& en, const std::string& zh, const std::string& field = {});
// 403: only HQ (admin, hq_ops) may do `what`.
Status NotHq(const std::string& what_en, const std::string& what_zh);
// The number of Unicode code points of UTF-8 text.
size_t CodePoints(const std::string& s);
// a-z first, then a-z, 0-9 and _, at most `max` bytes.
bool SnakeName(const std::string& s, size_t max);
// body[key] when it is text, else "" (body: a user record as a unit lead sends it).
std::string Text(const json& body, const char* key);
// A query parameter: a positive id, or a limit 1 to 500 (400 naming the parameter otherwise).
Result<int64_t> PositiveId(const std::string& k, const std::string& v);
Result<int64_t> Limit(const std::string& v);

// The unit, or 404 naming `field`.
Result<UnitRow> FindUnit(store::Connection& conn, int64_t tenant, int64_t unit, const std::string& field = "unit_id");
// Whether `p` sees the unit's boundaries: HQ and whole-tenant readers; members of the unit, of an
// ancestor (whose rules it inherits) or of a unit above it in the tree.
bool SeesUnit(const Principal& p, const UnitRow& u);
// One row of the audit log, written beside the change (same connection, same transaction).
Status Audit(store::Connection& conn, const Principal& p, const std::string& action, const std::string& entity, int64_t entity_id,
             const json& before, const json& after, const std::string& now);

}  // namespace keel::org::governance
