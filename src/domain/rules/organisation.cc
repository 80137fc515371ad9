// Units (the tree: materialised paths, one HQ, levels hq ▸ region ▸ unit ▸ store) and users.
#include "domain/rules/family.h"
#include "domain/store.h"

namespace keel::domain::rules {

using store::Value;

namespace {

int UnitRank(const std::string& kind) {
  if (kind == "hq") return 0;
  if (kind == "region") return 1;
  if (kind == "unit") return 2;
  return 3;
}

class Units final : public EntityRules {
 public:
  Status PrepareCreate(WriteContext& ctx, const EntityDef&, int64_t id, ValueMap& v, std::vector<ValueMap>&) const override {
    return UnitPath(ctx, id, v, /*creating=*/true);
  }
  Status PrepareUpdate(WriteContext& ctx, const EntityDef&, int64_t id, const ValueMap& before, ValueMap& after) const override {
    if (Text(before, "parent_id") != Text(after, "parent_id") || Text(before, "kind") != Text(after, "kind")) {
      return UnitPath(ctx, id, after, /*creating=*/false);
    }
    return Status();
  }
  // A unit with live sub-units or members cannot be archived: move or archive them first.
  Status PrepareArchive(WriteContext& ctx, const EntityDef&, int64_t id, const ValueMap&) const override {
    KEEL_ASSIGN_OR_RETURN(int64_t busy, CountUnitDependents(ctx.conn, ctx.p.tenant_id, id));
    if (busy > 0) {
      return Conflict("unit.not_empty", "this unit still has active sub-units or members", "该单元下仍有未归档的下级单元或成员");
    }
    return Status();
  }

 private:
  static Status UnitPath(WriteContext& ctx, int64_t id, ValueMap& v, bool creating) {
    std::string kind = Text(v, "kind");
    if (kind == "hq") {
      if (!Null(v, "parent_id")) {
        return Status::Invalid("unit.hq_parent", "the HQ unit has no parent", "总部单元不能有上级", "parent_id");
      }
      KEEL_ASSIGN_OR_RETURN(bool second, OtherHqExists(ctx.conn, ctx.p.tenant_id, id));
      if (second) return Conflict("unit.second_hq", "the tenant already has an HQ unit", "租户已有总部单元", "kind");
      v["path"] = "/" + std::to_string(id) + "/";
    } else {
      if (Null(v, "parent_id")) return Required("parent_id");
      KEEL_ASSIGN_OR_RETURN(auto parent, LoadUnitPlace(ctx.conn, ctx.p.tenant_id, Int(v, "parent_id")));
      if (!parent) return Status::NotFound("parent unit", "parent_id");
      if (UnitRank(parent->kind) >= UnitRank(kind)) {
        return Status::Invalid("unit.hierarchy",
                               "a " + kind + " must sit under a higher level (hq ▸ region ▸ unit ▸ store)",
                               "层级不正确：" + kind + " 必须挂在更高层级之下（总部 ▸ 大区 ▸ 战队 ▸ 门店）",
                               "parent_id");
      }
      std::string own = "/" + std::to_string(id) + "/";
      if (parent->path.find(own) != std::string::npos) {
        return Status::Invalid("unit.cycle", "a unit cannot move under its own subtree", "单元不能移到自己的下级之下",
                               "parent_id");
      }
      v["path"] = parent->path + std::to_string(id) + "/";
    }
    if (creating) return Status();
    // Re-root the descendants: replace the old prefix with the new one.
    KEEL_ASSIGN_OR_RETURN(auto stored, LoadUnitPath(ctx.conn, ctx.p.tenant_id, id));
    std::string old_path = stored.value_or(""), new_path = Text(v, "path");
    if (old_path != new_path) {
      KEEL_ASSIGN_OR_RETURN(int64_t moved, ReRootSubtree(ctx.conn, ctx.p.tenant_id, id, old_path, new_path, ctx.now_text));
      Emit(ctx, "unit.subtree_moved", "units", id, {{"old_path", old_path}, {"new_path", new_path}, {"descendants", moved}});
    }
    return Status();
  }
};

class Users final : public EntityRules {
 public:
  Status PrepareCreate(WriteContext&, const EntityDef&, int64_t, ValueMap& v, std::vector<ValueMap>&) const override {
    if (Null(v, "password")) v["password"] = Value();
    return Status();
  }
  Status PrepareUpdate(WriteContext& ctx, const EntityDef&, int64_t id, const ValueMap& before, ValueMap& after) const override {
    if (Int(after, "supervisor_id") == id) {
      return Status::Invalid("validation.self_reference", "a user cannot supervise themselves", "用户不能成为自己的主管",
                             "supervisor_id");
    }
    bool disabled = Text(after, "status") == "disabled" && Text(before, "status") != "disabled";
    bool new_password = after.count("password") && !store::IsNull(after.at("password"));
    if (disabled || new_password) return RevokeSessions(ctx, id);
    return Status();
  }
  Status PrepareArchive(WriteContext& ctx, const EntityDef&, int64_t id, const ValueMap&) const override {
    if (id == ctx.p.user_id) return Conflict("user.archive_self", "you cannot archive your own user", "不能归档自己的账号");
    return Status();
  }
  Status AfterArchive(WriteContext& ctx, const EntityDef&, int64_t id) const override { return RevokeSessions(ctx, id); }
};

}  // namespace

Status RevokeSessions(WriteContext& ctx, int64_t user_id) {
  return RevokeUserSessions(ctx.conn, ctx.p.tenant_id, user_id, ctx.now_text).status();
}

const EntityRules& UnitRules() {
  static const Units rules;
  return rules;
}
const EntityRules& UserRules() {
  static const Users rules;
  return rules;
}

}  // namespace keel::domain::rules
