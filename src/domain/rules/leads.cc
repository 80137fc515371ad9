// Leads (线索): the status flow new → working → qualified/disqualified; "converted" only through
// RecordService::ConvertLead. An activity on a lead is its owner's first response.
#include <algorithm>

#include "domain/rules/family.h"

namespace keel::domain::rules {

namespace {

Status UseConvert() {
  return Unprocessable("lead.use_convert", "a lead becomes converted through POST /api/v1/leads/{id}/convert",
                       "线索须通过转化接口 POST /api/v1/leads/{id}/convert 转化", "status");
}

class Leads final : public EntityRules {
 public:
  Status PrepareCreate(WriteContext& ctx, const EntityDef&, int64_t, ValueMap& v, std::vector<ValueMap>&) const override {
    std::string s = Text(v, "status");
    if (s == "converted") return UseConvert();
    if (s == "disqualified" && Null(v, "disqualify_reason")) return Required("disqualify_reason");
    if (s != "new" && Null(v, "first_response_at")) v["first_response_at"] = ctx.now_text;
    return Status();
  }

  Status PrepareUpdate(WriteContext& ctx, const EntityDef&, int64_t, const ValueMap& before, ValueMap& after) const override {
    std::string from = Text(before, "status"), to = Text(after, "status");
    if (from == to) return Status();
    if (to == "converted") return UseConvert();
    static const std::map<std::string, std::vector<std::string>> kMoves = {
        {"new", {"working", "qualified", "disqualified"}},
        {"working", {"qualified", "disqualified"}},
        {"qualified", {"working", "disqualified"}},
        {"disqualified", {"working"}},
        {"converted", {}},
    };
    const auto& allowed = kMoves.at(from);
    if (std::find(allowed.begin(), allowed.end(), to) == allowed.end()) {
      return Conflict("lead.illegal_status", "a lead cannot move from " + from + " to " + to,
                      "线索状态不能从 " + from + " 变为 " + to, "status");
    }
    if (to == "disqualified" && Null(after, "disqualify_reason")) return Required("disqualify_reason");
    if (from == "new" && Null(after, "first_response_at")) after["first_response_at"] = ctx.now_text;
    return Status();
  }
};

}  // namespace

const EntityRules& LeadRules() {
  static const Leads rules;
  return rules;
}

}  // namespace keel::domain::rules
