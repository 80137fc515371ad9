#include "support/org.h"

#include <stdexcept>

namespace keel::testing {

using domain::json;

int64_t MustCreate(domain::RecordService& rs, const domain::Principal& p, const std::string& entity,
                   const json& body) {
  auto r = rs.Create(p, *domain::FindEntity(entity), body);
  if (!r.ok()) throw std::runtime_error("create " + entity + ": " + r.status().ToString());
  return (*r)["id"].get<int64_t>();
}

DomainEnv::DomainEnv(TestBackend backend, domain::AuthOptions auth_options) {
  db = NewDatabase(backend, &url);
  rs = std::make_unique<domain::RecordService>(*db, clock);
  auth = std::make_unique<domain::AuthService>(*db, clock, *rs, auth_options);
  org = BuildOrg(*rs, *auth, "acme");
}

Org BuildOrg(domain::RecordService& rs, domain::AuthService& auth, const std::string& code) {
  Org o;
  domain::NewTenant nt;
  nt.code = code;
  nt.name = "测试公司 " + code;
  auto t = auth.CreateTenant(nt);
  if (!t.ok()) throw std::runtime_error(t.status().ToString());
  o.tenant = *t;
  auto sys = domain::Principal::System(o.tenant);
  auto units = rs.List(sys, *domain::FindEntity("units"), {{"code", "HQ"}});
  o.hq = units->items[0]["id"];
  o.region = MustCreate(rs, sys, "units", {{"code", "R1"}, {"name", "华东大区"}, {"kind", "region"}, {"parent_id", o.hq}});
  o.unit_a = MustCreate(rs, sys, "units", {{"code", "UA"}, {"name", "上海战队"}, {"kind", "unit"}, {"parent_id", o.region}});
  o.unit_b = MustCreate(rs, sys, "units", {{"code", "UB"}, {"name", "杭州战队"}, {"kind", "unit"}, {"parent_id", o.region}});
  o.store_unit_a = MustCreate(rs, sys, "units", {{"code", "SA"}, {"name", "上海万达店"}, {"kind", "store"}, {"parent_id", o.unit_a}});
  o.store_a = MustCreate(rs, sys, "stores", {{"code", "S-A"}, {"name", "上海万达店"}, {"unit_id", o.store_unit_a}});
  auto user = [&](const std::string& name, const std::string& role, int64_t unit, int64_t sup) {
    json body = {{"username", name}, {"display_name", name}, {"role", role}, {"unit_id", unit}};
    if (sup) body["supervisor_id"] = sup;
    int64_t id = MustCreate(rs, sys, "users", body);
    o.users[name] = id;
    domain::Principal p;
    p.tenant_id = o.tenant;
    p.user_id = id;
    p.role = *domain::ParseRole(role);
    p.unit_id = unit;
    auto u = rs.Get(sys, *domain::FindEntity("units"), unit);
    p.unit_path = (*u)["path"];
    p.username = name;
    o.as[name] = p;
  };
  user("admin", "admin", o.hq, 0);
  user("ops", "hq_ops", o.hq, 0);
  user("analyst", "analyst", o.hq, 0);
  user("auditor", "auditor", o.hq, 0);
  user("lead_a", "unit_lead", o.unit_a, 0);
  user("sup_a", "supervisor", o.unit_a, o.users["lead_a"]);
  user("rep_a1", "rep", o.unit_a, o.users["sup_a"]);
  user("rep_a2", "rep", o.unit_a, o.users["sup_a"]);
  user("rep_a3", "rep", o.unit_a, o.users["lead_a"]);
  user("lead_b", "unit_lead", o.unit_b, 0);
  user("rep_b", "rep", o.unit_b, o.users["lead_b"]);
  // One argon2id hash for every test user (hashing is slow by design).
  static const std::string hash = *domain::HashPassword(kTestPassword);
  {
    auto conn = rs.db().Acquire();
    store::Value q[] = {hash, o.tenant};
    auto st = (*conn)->Exec("UPDATE users SET password_hash = ? WHERE tenant_id = ?", q);
    if (!st.ok()) throw std::runtime_error(st.status().ToString());
  }
  o.product = MustCreate(rs, sys, "products", {{"sku", "AC-1"}, {"name", "海川挂机空调 1.5匹"},
                                               {"category_path", "家电/空调/挂机"}, {"price", 3299},
                                               {"cost", 2300}, {"energy_class", 1}});
  return o;
}

}  // namespace keel::testing
