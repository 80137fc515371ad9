// What people write for each other: materials (物料) and case reviews (复盘) with tags, saved
// views (视图与看板), customer feedback (客户反馈).
#include <set>
#include <string_view>

#include "domain/rules/family.h"
#include "domain/store.h"

namespace keel::domain::rules {

using store::Value;

namespace {

class Tagged : public EntityRules {
 public:
  Status PrepareCreate(WriteContext&, const EntityDef&, int64_t, ValueMap& v, std::vector<ValueMap>&) const override {
    NormaliseTags(v);
    return Status();
  }
  Status PrepareUpdate(WriteContext&, const EntityDef&, int64_t, const ValueMap& before, ValueMap& after) const override {
    if (Text(before, "tags") != Text(after, "tags")) NormaliseTags(after);
    return Status();
  }
};

class CaseReviews final : public Tagged {
 public:
  Status PrepareCreate(WriteContext& ctx, const EntityDef& e, int64_t id, ValueMap& v,
                       std::vector<ValueMap>& children) const override {
    KEEL_RETURN_IF_ERROR(Tagged::PrepareCreate(ctx, e, id, v, children));
    if (Null(v, "unit_id") && ctx.p.unit_id != 0) v["unit_id"] = ctx.p.unit_id;
    if (Null(v, "unit_id")) return Required("unit_id");
    if (Null(v, "author_id") && !ctx.p.is_system()) v["author_id"] = ctx.p.user_id;
    return Status();
  }
};

class Views final : public EntityRules {
 public:
  Status CheckWriteScope(WriteContext& ctx, const EntityDef&, const ValueMap& v) const override {
    if (ctx.p.role != Role::kUnitLead && Int(v, "owner_id") != ctx.p.user_id) {
      return Forbidden("only its owner (or a unit lead or HQ above it) changes a saved view",
                       "只有保存人（或上级单元负责人、总部）可以修改该视图");
    }
    return Status();
  }
  Status PrepareCreate(WriteContext& ctx, const EntityDef&, int64_t, ValueMap& v, std::vector<ValueMap>&) const override {
    if (Null(v, "owner_id") && !ctx.p.is_system()) v["owner_id"] = ctx.p.user_id;
    if (Null(v, "unit_id") && ctx.p.unit_id != 0) v["unit_id"] = ctx.p.unit_id;
    return Status();
  }
};

class Feedback final : public EntityRules {
 public:
  Status PrepareCreate(WriteContext& ctx, const EntityDef&, int64_t, ValueMap& v, std::vector<ValueMap>&) const override {
    if (!Null(v, "link_id") && !ctx.p.is_system()) {
      return Status::Invalid("validation.read_only", "link_id is set by the public feedback link only",
                             "link_id 仅由公开反馈链接填写", "link_id");
    }
    if (Null(v, "submitted_at")) v["submitted_at"] = ctx.now_text;
    if (Null(v, "unit_id")) {
      auto from = !Null(v, "store_id") ? LoadColumns(ctx.conn, "stores", "unit_id", ctx.p.tenant_id, Int(v, "store_id"))
                  : !Null(v, "customer_id")
                      ? LoadColumns(ctx.conn, "customers", "unit_id", ctx.p.tenant_id, Int(v, "customer_id"))
                      : Result<std::optional<ValueMap>>(std::optional<ValueMap>());
      if (!from.ok()) return from.status();
      if (*from && !Null(**from, "unit_id")) v["unit_id"] = (**from)["unit_id"];
    }
    return Status();
  }
};

}  // namespace

void NormaliseTags(ValueMap& v) {
  if (Null(v, "tags")) return;
  const std::string raw = Text(v, "tags");
  std::string text, out;
  for (size_t i = 0; i < raw.size();) {
    bool separator = false;
    for (std::string_view sep : {"，", "、", "；", ";"}) {
      if (raw.compare(i, sep.size(), sep) == 0) {
        text += ',';
        i += sep.size();
        separator = true;
        break;
      }
    }
    if (!separator) text += raw[i++];
  }
  std::set<std::string> seen;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = std::min(text.find(',', start), text.size());
    std::string tag = text.substr(start, comma - start);
    size_t b = tag.find_first_not_of(" \t"), e = tag.find_last_not_of(" \t");
    tag = b == std::string::npos ? "" : tag.substr(b, e - b + 1);
    if (!tag.empty() && seen.insert(tag).second) out += (out.empty() ? "" : ",") + tag;
    start = comma + 1;
  }
  v["tags"] = out.empty() ? Value() : Value(out);
}

const EntityRules& TaggedRules() {
  static const Tagged rules;
  return rules;
}
const EntityRules& CaseReviewRules() {
  static const CaseReviews rules;
  return rules;
}
const EntityRules& ViewRules() {
  static const Views rules;
  return rules;
}
const EntityRules& FeedbackRules() {
  static const Feedback rules;
  return rules;
}

}  // namespace keel::domain::rules
