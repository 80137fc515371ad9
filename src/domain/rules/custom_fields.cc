// Custom field definitions (自定义字段): name and options checked for the type, one name per
// entity, at most kMaxCustomFieldsPerEntity live ones.
#include "domain/rules/family.h"
#include "domain/store.h"

namespace keel::domain::rules {

namespace {

class CustomFields final : public EntityRules {
 public:
  Status PrepareCreate(WriteContext& ctx, const EntityDef&, int64_t id, ValueMap& v, std::vector<ValueMap>&) const override {
    return Definition(ctx, id, v, /*creating=*/true);
  }
  Status PrepareUpdate(WriteContext& ctx, const EntityDef&, int64_t id, const ValueMap& before, ValueMap& after) const override {
    if (Text(before, "options") == Text(after, "options")) return Status();
    return Definition(ctx, id, after, /*creating=*/false);
  }

 private:
  static Status Definition(WriteContext& ctx, int64_t id, ValueMap& v, bool creating) {
    using nlohmann::json;
    json options = Null(v, "options") ? json(nullptr) : json::parse(Text(v, "options"), nullptr, false);
    KEEL_ASSIGN_OR_RETURN(json normalised, CheckCustomFieldDef(Text(v, "name"), Text(v, "type"), options));
    v["options"] = normalised.dump();
    if (!creating) return Status();
    const std::string entity = Text(v, "entity"), name = Text(v, "name");
    KEEL_ASSIGN_OR_RETURN(auto same, FindCustomFieldNamed(ctx.conn, ctx.p.tenant_id, entity, name, id));
    if (same) {
      const std::string other = std::to_string(same->id);
      return Conflict("conflict.duplicate",
                      entity + " already has a custom field '" + name + "' (" + other + (same->archived ? ", archived" : "") + ")",
                      entity + " 已有自定义字段 '" + name + "'（" + other + (same->archived ? "，已归档" : "") + "）", "name");
    }
    KEEL_ASSIGN_OR_RETURN(int64_t live, CountLiveCustomFields(ctx.conn, ctx.p.tenant_id, entity));
    if (static_cast<size_t>(live) >= kMaxCustomFieldsPerEntity) {
      const std::string limit = std::to_string(kMaxCustomFieldsPerEntity);
      return Conflict("custom_field.limit", entity + " already has " + limit + " custom fields",
                      entity + " 的自定义字段已达 " + limit + " 个上限", "entity");
    }
    return Status();
  }
};

}  // namespace

const EntityRules& CustomFieldRules() {
  static const CustomFields rules;
  return rules;
}

}  // namespace keel::domain::rules
