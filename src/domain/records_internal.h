// Internals shared by records.cc (writes) and listing.cc (reads). Not part of the public API.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "domain/audit.h"
#include "domain/codec.h"
#include "domain/custom_fields.h"
#include "domain/records.h"
#include "events/event_log.h"

namespace keel::domain {

struct RecordService::Ctx {
  const Principal& p;
  store::Connection& conn;
  TimeMs now = 0;
  std::string now_text;
  TenantInfo tenant;
  std::string request_id;
  bool checked = false;  // WriteOptions::checked
  std::vector<events::Event> events;
  std::vector<AuditEntry> audits;  // written by Finish, stamped now_text and request_id
  std::set<std::pair<std::string, int64_t>> refs_ok;  // references already verified
  std::map<std::string, std::vector<CustomFieldDef>> custom_defs;  // by entity, loaded once per transaction
};

// "SELECT id, created_at, ... FROM <table>" for the visible columns of `e`.
std::string SelectSql(const EntityDef& e);
// Converts one row selected by SelectSql into the API's JSON shape.
json RowToJson(const EntityDef& e, const store::Rows& rows, size_t i);
Result<TenantInfo> LoadTenant(store::Connection& conn, int64_t tenant_id);

}  // namespace keel::domain
