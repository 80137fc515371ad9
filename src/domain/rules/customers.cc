// Contacts (联系人) follow their customer; members (会员) belong to their store's or customer's unit.
#include "domain/rules/family.h"
#include "domain/store.h"

namespace keel::domain::rules {

namespace {

class Contacts final : public EntityRules {
 public:
  Status DefaultOwnership(WriteContext& ctx, const EntityDef&, ValueMap& v) const override {
    if (Null(v, "customer_id") || (!Null(v, "owner_id") && !Null(v, "unit_id"))) return Status();
    KEEL_ASSIGN_OR_RETURN(auto customer, LoadColumns(ctx.conn, "customers", "owner_id, unit_id", ctx.p.tenant_id,
                                                     Int(v, "customer_id")));
    if (customer) {
      if (Null(v, "owner_id")) v["owner_id"] = (*customer)["owner_id"];
      if (Null(v, "unit_id")) v["unit_id"] = (*customer)["unit_id"];
    }
    return Status();
  }
};

class Members final : public EntityRules {
 public:
  Status PrepareCreate(WriteContext& ctx, const EntityDef&, int64_t, ValueMap& v, std::vector<ValueMap>&) const override {
    if (Null(v, "unit_id")) {
      auto from = !Null(v, "store_id") ? LoadColumns(ctx.conn, "stores", "unit_id", ctx.p.tenant_id, Int(v, "store_id"))
                                       : LoadColumns(ctx.conn, "customers", "unit_id", ctx.p.tenant_id, Int(v, "customer_id"));
      if (!from.ok()) return from.status();
      if (*from) v["unit_id"] = (**from)["unit_id"];
    }
    if (Null(v, "points")) v["points"] = int64_t{0};
    return Status();
  }
};

}  // namespace

const EntityRules& ContactRules() {
  static const Contacts rules;
  return rules;
}
const EntityRules& MemberRules() {
  static const Members rules;
  return rules;
}

}  // namespace keel::domain::rules
